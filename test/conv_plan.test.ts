// The conv planner (src/kernels/conv/plan.ts), table-driven: for each adapter class's priors and each kind of
// ResNet50 conv, the form, GEMM, tiles and split-K it routes each pass to. Pure: no GPU.
import { describe, expect, test } from 'vitest';
import { KERNEL_PRIORS, priorConfig, type AdapterClass, type KernelConfig } from '../src/kernels/config.ts';
import { CONV_PASSES, describePlan, planConv, type ConvPass, type ConvShape } from '../src/kernels/conv/plan.ts';
import { GEMM_TILES, tilesName } from '../src/kernels/gemm/tiles.ts';
import { resnet50Convs, windowedConvs } from '../src/model/architecture.ts';

const config = (cls: AdapterClass, changes: Partial<KernelConfig> = {}): KernelConfig => ({ adapterClass: cls, ...KERNEL_PRIORS[cls], ...changes });

/** ResNet50's conv kinds at batch 1, 224x224. */
const CONVS: Record<string, ConvShape> = {
  stem: { batch: 1, inC: 3, outC: 64, inH: 224, inW: 224, kH: 7, kW: 7, stride: 2, pad: 3 },
  'layer1 3x3/1': { batch: 1, inC: 64, outC: 64, inH: 56, inW: 56, kH: 3, kW: 3, stride: 1, pad: 1 },
  'layer2 3x3/2': { batch: 1, inC: 128, outC: 128, inH: 56, inW: 56, kH: 3, kW: 3, stride: 2, pad: 1 },
  'layer3 1x1/1': { batch: 1, inC: 1024, outC: 256, inH: 14, inW: 14, kH: 1, kW: 1, stride: 1, pad: 0 },
  'layer4 downsample 1x1/2': { batch: 1, inC: 1024, outC: 2048, inH: 14, inW: 14, kH: 1, kW: 1, stride: 2, pad: 0 },
  'layer4 3x3/1': { batch: 1, inC: 512, outC: 512, inH: 7, inW: 7, kH: 3, kW: 3, stride: 1, pad: 1 },
};

// [adapter class, conv, pass, form, the GEMM's M x N x K or '-', tiles or '-', K slices]
type Row = [AdapterClass, string, ConvPass, string, string, string, number];
const TABLE: Row[] = [
  // GPU priors: the tiled core, implicit GEMMs; split-K where the output tiles are few and K long (layer4).
  ['gpu', 'stem', 'forward', 'implicit', '64x12544x147', 'tiled-64x64', 1],
  ['gpu', 'stem', 'inputGrad', 'columns', '147x12544x64', 'tiled-64x64', 1], // 3 channels fill no tile: columns
  ['gpu', 'stem', 'weightGrad', 'implicit', '64x147x12544', 'tiled-64x64', 16],
  ['gpu', 'layer1 3x3/1', 'forward', 'implicit', '64x3136x576', 'tiled-64x64', 1],
  ['gpu', 'layer2 3x3/2', 'inputGrad', 'implicit', '-', '-', 1], // one GEMM per stride phase
  ['gpu', 'layer3 1x1/1', 'forward', 'implicit', '256x196x1024', 'tiled-64x64', 2],
  ['gpu', 'layer4 downsample 1x1/2', 'forward', 'implicit', '2048x49x1024', 'tiled-64x64', 2],
  ['gpu', 'layer4 3x3/1', 'forward', 'implicit', '512x49x4608', 'tiled-64x64', 9],
  ['gpu', 'layer4 3x3/1', 'inputGrad', 'implicit', '512x49x4608', 'tiled-64x64', 9],
  ['gpu', 'layer4 3x3/1', 'weightGrad', 'implicit', '512x4608x49', 'tiled-64x64', 1],
  // lavapipe priors: the untiled core fitted; window kernels for the stem and the stride-1 3x3s, columns for
  // the other windows and strides, plain matrices for the stride-1 1x1s; split-K for weight gradients only.
  ['lavapipe', 'stem', 'forward', 'window', '-', '-', 1],
  ['lavapipe', 'stem', 'inputGrad', 'window', '-', '-', 1],
  ['lavapipe', 'stem', 'weightGrad', 'columns', '64x147x12544', 'untiled-64x40x1', 16],
  ['lavapipe', 'layer1 3x3/1', 'forward', 'window', '-', '-', 1],
  ['lavapipe', 'layer1 3x3/1', 'inputGrad', 'window', '-', '-', 1],
  ['lavapipe', 'layer1 3x3/1', 'weightGrad', 'columns', '64x576x3136', 'untiled-64x64', 4],
  ['lavapipe', 'layer2 3x3/2', 'forward', 'columns', '128x784x1152', 'untiled-64x56x1', 1],
  ['lavapipe', 'layer2 3x3/2', 'inputGrad', 'columns', '1152x784x128', 'untiled-64x56x1', 1],
  ['lavapipe', 'layer3 1x1/1', 'forward', 'implicit', '256x196x1024', 'untiled-64x40x1', 1],
  ['lavapipe', 'layer3 1x1/1', 'inputGrad', 'implicit', '1024x196x256', 'untiled-64x40x1', 1],
  ['lavapipe', 'layer4 downsample 1x1/2', 'forward', 'columns', '2048x49x1024', 'untiled-64x56x1', 1],
  ['lavapipe', 'layer4 downsample 1x1/2', 'inputGrad', 'implicit', '-', '-', 1],
  ['lavapipe', 'layer4 3x3/1', 'forward', 'window', '-', '-', 1],
  // SwiftShader: the same routes (its priors differ in the reductions only).
  ['swiftshader', 'layer2 3x3/2', 'forward', 'columns', '128x784x1152', 'untiled-64x56x1', 1],
  ['swiftshader', 'stem', 'forward', 'window', '-', '-', 1],
];

describe('planConv routes each pass of each conv kind as the priors say', () => {
  test.each(TABLE)('%s: %s %s -> %s %s %s split %d', (cls, conv, pass, form, gemm, tiles, splits) => {
    const plan = planConv(config(cls), CONVS[conv]!, pass);
    expect(plan.form).toBe(form);
    expect(plan.gemm ? `${plan.gemm.m}x${plan.gemm.n}x${plan.gemm.k}` : '-').toBe(gemm);
    expect(plan.gemm ? tilesName(plan.gemm.tiles) : '-').toBe(tiles);
    expect(plan.splits).toBe(splits);
    if (plan.splits > 1) expect(plan.splits * plan.sliceK).toBeGreaterThanOrEqual(plan.gemm!.k);
  });
});

test('the stride-2 input gradient runs one GEMM per stride phase, each over its own taps', () => {
  const phases = planConv(config('gpu'), CONVS['layer2 3x3/2']!, 'inputGrad').phases!;
  expect(phases.map((p) => [p.phase.TAPS_Y, p.phase.TAPS_X, p.n, p.k])).toEqual([
    [1, 1, 784, 128], [1, 2, 784, 256], [2, 1, 784, 256], [2, 2, 784, 512],
  ]);
});

test('window rules: none sends every window to the GEMM forms, all takes the strided 3x3s too; the tiled core never windows', () => {
  const rules = (forward: 'none' | 'dense' | 'all', inputGrad: 'none' | 'dense' | 'all') => config('lavapipe', { windows: { forward, inputGrad } });
  const forms = (c: KernelConfig) => Object.values(CONVS).flatMap((shape) => [planConv(c, shape, 'forward').form, planConv(c, shape, 'inputGrad').form]);
  expect(forms(rules('none', 'none'))).not.toContain('window');
  expect(planConv(rules('all', 'all'), CONVS['layer2 3x3/2']!, 'forward').form).toBe('window');
  expect(planConv(rules('all', 'all'), CONVS['layer2 3x3/2']!, 'inputGrad').form).toBe('window');
  expect(forms(config('gpu', { windows: { forward: 'all', inputGrad: 'all' } }))).not.toContain('window');
  // Split-K off (`--split-k off`) and forced slices (tests, bench).
  expect(planConv(config('gpu', { splitK: false }), CONVS['layer4 3x3/1']!, 'forward').splits).toBe(1);
  expect(planConv(config('lavapipe'), CONVS['layer3 1x1/1']!, 'forward', 4).splits).toBe(4);
});

test('every ResNet50 conv and pass has a plan on every adapter class: 53 convs, 159 plans each', () => {
  const convs = resnet50Convs();
  expect(convs).toHaveLength(53);
  expect(convs.filter((c) => c.kernel !== 1).map((c) => c.path)).toEqual([
    'conv1', ...['layer1', 'layer2', 'layer3', 'layer4'].flatMap((l, i) => Array.from({ length: [3, 4, 6, 3][i]! }, (_, b) => `${l}.${b}.conv2`)),
  ]);
  // The windowed convs the experiments time are the distinct ones among these.
  for (const w of windowedConvs()) expect(convs.some((c) => c.kernel === w.kernel && c.stride === w.stride && c.inSize === w.inSize && c.inChannels === w.inChannels)).toBe(true);
  for (const cls of ['gpu', 'lavapipe', 'swiftshader', 'software'] as const) {
    const plans = convs.flatMap((c) =>
      CONV_PASSES.map((pass) => planConv(config(cls), { batch: 1, inC: c.inChannels, outC: c.outChannels, inH: c.inSize, inW: c.inSize, kH: c.kernel, kW: c.kernel, stride: c.stride, pad: c.pad }, pass)),
    );
    expect(plans).toHaveLength(159);
    for (const p of plans) expect(describePlan(p)).toMatch(/^(implicit|columns|window)/);
  }
  expect(priorConfig({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true }).tiles).toBe(GEMM_TILES['untiled-fit']);
});
