// The conv form tuner (src/kernels/conv_form_autotune.ts): which convs it measures on each GEMM core, the rule
// it applies to its timings (also on scripted ones), and what it remembers per adapter. That both forms compute
// the same convs is kernels_forward's and kernels_backward's business (each form against the float64 reference).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { autotuneConvForms, convFormTuningKey, decideForm, describeConvFormTuning, mergeConvFormTunings } from '../src/kernels/software/conv_form_tuner.ts';
import { chosenDirectForm, clearConvForms, convFormKey, type ConvPass } from '../src/kernels/software/conv_forms.ts';
import { DEFAULT_TILES, DIRECT_TILES, setPreferredTiles } from '../src/kernels/gemm/tiles.ts';
import { windowedConvs, type WindowedConv } from '../src/model/architecture.ts';
import { fileTuningStore } from '../src/node/tuning_store.ts';

let ctx: GpuContext;
let dir: string;

beforeAll(async () => {
  const { createNodeGpuContext } = await import('../src/node/gpu.ts');
  ctx = await createNodeGpuContext();
  dir = mkdtempSync(join(tmpdir(), 'wgcam-conv-forms-'));
});
afterEach(() => {
  clearConvForms(ctx);
  setPreferredTiles(ctx, DEFAULT_TILES);
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// Small convs: a strided 3x3, which both forms compute in all three passes; a stem-like 7x7, in the forward and
// the input gradient (its 3 input channels are too few for the column-free weight gradient); and one with 5 input
// and 12 output channels, which no direct kernel takes (channels not in fours, outputs not in eights).
const CONVS: WindowedConv[] = [
  { name: 'a', inChannels: 8, outChannels: 16, kernel: 3, stride: 2, pad: 1, inSize: 20 },
  { name: 'b', inChannels: 3, outChannels: 8, kernel: 7, stride: 2, pad: 3, inSize: 24 },
  { name: 'c', inChannels: 5, outChannels: 12, kernel: 3, stride: 1, pad: 1, inSize: 10 },
];
const shapeOf = (c: WindowedConv) => ({ inC: c.inChannels, outC: c.outChannels, kH: c.kernel, kW: c.kernel, stride: c.stride, pad: c.pad });
// Every (pass, conv) with a choice, and its key.
const CHOSEN: Array<[ConvPass, WindowedConv]> = [
  ['forward', CONVS[0]!], ['inputGrad', CONVS[0]!], ['forward', CONVS[1]!], ['inputGrad', CONVS[1]!], ['weightGrad', CONVS[0]!],
];
const KEYS = CHOSEN.map(([pass, c]) => convFormKey(pass, shapeOf(c)));
const PASSES = ['forward', 'inputGrad', 'weightGrad'] as const;
// Without a recorded choice: im2col for the strided 3x3's forward, direct for the stem's (phase order); direct
// for the stem's input gradient (3-4 taps per phase), columns for the strided 3x3's (1-2 taps); im2col and the
// GEMM for every weight gradient.
const DEFAULTS: Record<string, string> = { [KEYS[0]!]: 'gemm', [KEYS[1]!]: 'gemm', [KEYS[2]!]: 'direct', [KEYS[3]!]: 'direct', [KEYS[4]!]: 'gemm' };

test("ResNet50's windowed convs: the stem and two 3x3s per stage, at their input sizes", () => {
  expect(windowedConvs().map((c) => `${c.name} ${c.kernel}/${c.stride} ${c.inChannels}->${c.outChannels} at ${c.inSize}`)).toEqual([
    'conv1 7/2 3->64 at 224',
    'layer1.0.conv2 3/1 64->64 at 56',
    'layer2.0.conv2 3/2 128->128 at 56',
    'layer2.1.conv2 3/1 128->128 at 28',
    'layer3.0.conv2 3/2 256->256 at 28',
    'layer3.1.conv2 3/1 256->256 at 14',
    'layer4.0.conv2 3/2 512->512 at 14',
    'layer4.1.conv2 3/1 512->512 at 7',
  ]);
});

test('on a tiled GEMM core there is nothing to choose: the direct kernels never run there', async () => {
  setPreferredTiles(ctx, DEFAULT_TILES);
  expect(await autotuneConvForms(ctx, CONVS)).toEqual({ source: 'not needed', choices: {}, timings: {} });
  expect(chosenDirectForm(ctx, 'forward', shapeOf(CONVS[0]!))).toBeUndefined();
});

test('on the direct core: measures both forms of each conv they share, applies the rule, remembers the choices', async () => {
  setPreferredTiles(ctx, DIRECT_TILES);
  const path = join(dir, 'tuning.json');
  const store = fileTuningStore(path);
  const progress: Array<[number, number]> = [];
  const measured = await autotuneConvForms(ctx, CONVS, { store, runs: 1, onProgress: (m, n) => progress.push([m, n]) });
  expect(measured.source).toBe('measured');
  expect(Object.keys(measured.choices).sort()).toEqual([...KEYS].sort());
  expect(progress).toEqual([[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
  for (const key of KEYS) {
    const { direct, gemm } = measured.timings[key]!;
    expect(direct).toBeGreaterThan(0);
    expect(gemm).toBeGreaterThan(0);
    // The default form keeps the choice unless the other takes under 0.9 of its time.
    const fallback = DEFAULTS[key] === 'direct' ? 'direct' : 'gemm';
    const other = fallback === 'direct' ? 'gemm' : 'direct';
    const t = measured.timings[key]!;
    expect(measured.choices[key]).toBe(t[other] < 0.9 * t[fallback] ? other : fallback);
  }
  const applied = () => CHOSEN.map(([pass, c]) => chosenDirectForm(ctx, pass, shapeOf(c)));
  expect(applied()).toEqual(KEYS.map((k) => measured.choices[k] === 'direct'));
  // Nothing recorded where no direct kernel fits.
  expect(PASSES.map((pass) => chosenDirectForm(ctx, pass, shapeOf(CONVS[2]!)))).toEqual([undefined, undefined, undefined]);
  expect(chosenDirectForm(ctx, 'weightGrad', shapeOf(CONVS[1]!))).toBeUndefined();
  expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ [convFormTuningKey(ctx)]: JSON.stringify(measured.choices) });
  expect(describeConvFormTuning(measured)).toMatch(/^\d direct, \d gemm \(measured\); forward 3x3\/2 pad 1 8->16: (direct|gemm) \(direct [\d.]+ ms, gemm [\d.]+ ms\)/);

  // Again: from the store, without measuring, and applied.
  clearConvForms(ctx);
  progress.length = 0;
  const again = await autotuneConvForms(ctx, CONVS, { store, onProgress: (m, n) => progress.push([m, n]) });
  expect(again).toEqual({ source: 'cached', choices: measured.choices, timings: {} });
  expect(progress).toEqual([]);
  expect(applied()).toEqual(KEYS.map((k) => measured.choices[k] === 'direct'));

  // A conv the store lacks is measured, and added to what it holds; a damaged entry is measured again.
  const stem = windowedConvs(32)[0]!;
  const more = await autotuneConvForms(ctx, [...CONVS, stem], { store, runs: 1 });
  expect(more.source).toBe('measured');
  expect(Object.keys(more.timings).sort()).toEqual([convFormKey('forward', shapeOf(stem)), convFormKey('inputGrad', shapeOf(stem))].sort());
  expect(Object.keys(JSON.parse(JSON.parse(readFileSync(path, 'utf8'))[convFormTuningKey(ctx)]))).toHaveLength(7);
  writeFileSync(path, JSON.stringify({ [convFormTuningKey(ctx)]: '{"forward 3x3/2 pad 1 8->16": "sideways"' }));
  expect((await autotuneConvForms(ctx, CONVS, { store, runs: 1 })).source).toBe('measured');
});

test('forced: every conv both forms compute takes one form, or each its default, without measuring', async () => {
  setPreferredTiles(ctx, DIRECT_TILES);
  const direct = await autotuneConvForms(ctx, CONVS, { force: 'direct' });
  expect(direct).toEqual({ source: 'forced', choices: Object.fromEntries(KEYS.map((k) => [k, 'direct'])), timings: {} });
  expect(chosenDirectForm(ctx, 'forward', shapeOf(CONVS[0]!))).toBe(true);
  const gemm = await autotuneConvForms(ctx, CONVS, { force: 'gemm' });
  expect(Object.values(gemm.choices)).toEqual(['gemm', 'gemm', 'gemm', 'gemm', 'gemm']);
  expect(chosenDirectForm(ctx, 'inputGrad', shapeOf(CONVS[1]!))).toBe(false);
  // Defaults: reported as the wrappers' rules, and nothing recorded, so those rules decide.
  const defaults = await autotuneConvForms(ctx, CONVS, { force: 'defaults' });
  expect(defaults).toEqual({ source: 'defaults', choices: DEFAULTS, timings: {} });
  expect(chosenDirectForm(ctx, 'inputGrad', shapeOf(CONVS[1]!))).toBeUndefined();
});

test('passes: only the passes asked for are chosen; the others keep their recorded choices', async () => {
  setPreferredTiles(ctx, DIRECT_TILES);
  await autotuneConvForms(ctx, CONVS, { force: 'direct' });
  const weightGrads = await autotuneConvForms(ctx, CONVS, { force: 'gemm', passes: ['weightGrad'] });
  const weightGradKeys = KEYS.filter((k) => k.startsWith('weightGrad '));
  expect(weightGrads).toEqual({ source: 'forced', choices: Object.fromEntries(weightGradKeys.map((k) => [k, 'gemm'])), timings: {} });
  expect(CHOSEN.map(([pass, c]) => chosenDirectForm(ctx, pass, shapeOf(c)))).toEqual(CHOSEN.map(([pass]) => pass !== 'weightGrad'));
  // Merged for reports: every choice, and the busier source.
  const rest = await autotuneConvForms(ctx, CONVS, { force: 'direct', passes: ['forward', 'inputGrad'] });
  const merged = mergeConvFormTunings(rest, { ...weightGrads, source: 'measured', rejected: ['x'] });
  expect(merged.source).toBe('measured');
  expect(Object.keys(merged.choices).sort()).toEqual([...KEYS].sort());
  expect(merged.rejected).toEqual(['x']);
  expect(mergeConvFormTunings(rest, { source: 'not needed', choices: {}, timings: {} })).toEqual(rest);
});

test('a form replaces the default only when it wins by the margin in two sets of runs in a row', async () => {
  // Scripted sets of (direct, gemm) times, handed out in order.
  const scripted = (...sets: Array<[number, number]>) => {
    const queue = [...sets];
    const measureSet = async () => {
      const [direct, gemm] = queue.shift() ?? [NaN, NaN];
      return { direct, gemm };
    };
    return { measureSet, left: () => queue.length };
  };
  // No clear win in the first set: the default, without a second set.
  let s = scripted([95, 100], [10, 100]);
  expect(await decideForm('gemm', s.measureSet)).toEqual({ form: 'gemm', timings: { direct: 95, gemm: 100 } });
  expect(s.left()).toBe(1);
  // A clear win, confirmed: the other form, with the second set's times.
  s = scripted([80, 100], [85, 100]);
  expect(await decideForm('gemm', s.measureSet)).toEqual({ form: 'direct', timings: { direct: 85, gemm: 100 } });
  // A clear win that the second set does not show: the default.
  s = scripted([100, 80], [100, 95]);
  expect(await decideForm('direct', s.measureSet)).toEqual({ form: 'direct', timings: { direct: 100, gemm: 95 } });
  expect(s.left()).toBe(0);
});

test('the description lists each measured choice with both times, and a direct form rejected for its result', () => {
  const t = {
    source: 'measured' as const,
    choices: { 'forward 3x3/2 pad 1 8->16': 'direct' as const, 'inputGrad 3x3/2 pad 1 8->16': 'gemm' as const },
    timings: { 'forward 3x3/2 pad 1 8->16': { direct: 1.25, gemm: 2 } },
    rejected: ['inputGrad 3x3/2 pad 1 8->16'],
  };
  expect(describeConvFormTuning(t)).toBe(
    '1 direct, 1 gemm (measured); forward 3x3/2 pad 1 8->16: direct (direct 1.3 ms, gemm 2.0 ms); ' +
      "inputGrad 3x3/2 pad 1 8->16: gemm (the direct form's result differed: not used)",
  );
  expect(describeConvFormTuning({ source: 'not needed', choices: {}, timings: {} })).toBe('none (not needed)');
});
