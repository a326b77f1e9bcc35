// The benchmark (bench/): its FLOP and byte accounting against hand-computed values, the distinct-shape walk of
// ResNet50, the ONNX writer's protobuf encoding, and a reduced `--quick` run in-process (32x32 input, tiny
// roofline) whose JSON must carry every field the reports and the issue ask for.
import { describe, expect, test } from 'vitest';
import * as cost from '../bench/accounting.ts';
import { configFromFlags } from '../bench/cli.ts';
import { attachPeers, benchCases, benchConfig, runBench, wgcamOverPeer, type BenchResult } from '../bench/core.ts';
import { LOGITS_TOLERANCE, runEachPeer } from '../bench/peers/types.ts';
import { encodeModel, ProtoWriter, resnet50Graph } from '../bench/onnx_writer.ts';
import { markdownReport, svgChart, textReport } from '../bench/report.ts';
import { quickConvs, resnet50Shapes, type ConvShape } from '../bench/shapes.ts';
import { parseFlags } from '../src/cli/args.ts';
import { BENCH_FLAGS } from '../bench/cli.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';

const shapes = resnet50Shapes(1, 224);
const conv = (layer: string): ConvShape => shapes.convs.find((c) => c.layers.includes(layer))!;

describe('accounting', () => {
  test('conv 3x3/1 64->64 at 56x56 (layer1.x.conv2)', () => {
    const c = conv('layer1.0.conv2');
    expect(c.key).toBe('3x3/1 64->64 56x56');
    expect([c.outH, c.outW]).toEqual([56, 56]);
    // 64 out channels x 56 x 56 outputs x (64 x 3 x 3) products, 2 FLOPs each
    expect(cost.convForwardCost(c).flops).toBe(2 * 64 * 56 * 56 * 64 * 9); // 231,211,008
    expect(cost.convForwardCost(c).flops).toBe(231_211_008);
    // x 64x56x56 + w 64x64x3x3 + y 64x56x56 floats
    expect(cost.convForwardCost(c).bytes).toBe(4 * (200_704 + 36_864 + 200_704)); // 1,753,088
    expect(cost.convInputGradCost(c)).toEqual(cost.convForwardCost(c));
    expect(cost.convWeightGradCost(c)).toEqual(cost.convForwardCost(c));
  });

  test('the 7x7/2 stem and a strided 1x1 downsample', () => {
    const stem = conv('conv1');
    expect(stem.key).toBe('7x7/2 3->64 224x224');
    expect([stem.outH, stem.outW]).toEqual([112, 112]);
    expect(cost.convForwardCost(stem)).toEqual({ flops: 236_027_904, bytes: 4 * (150_528 + 9_408 + 802_816) });
    const ds = conv('layer4.0.downsample.0');
    expect(ds.key).toBe('1x1/2 1024->2048 14x14');
    expect([ds.outH, ds.outW]).toEqual([7, 7]);
    expect(cost.convForwardCost(ds).flops).toBe(2 * 2048 * 49 * 1024); // 205,520,896
  });

  test('elementwise, pooling, linear and the GEMM', () => {
    const a = { key: '', layers: [], n: 1, c: 64, h: 112, w: 112 };
    expect(cost.maxPoolForwardCost(a)).toEqual({ flops: 9 * 200_704, bytes: 4 * (802_816 + 2 * 200_704) });
    expect(cost.maxPoolBackwardCost(a)).toEqual({ flops: 200_704, bytes: 4 * (2 * 200_704 + 802_816) });
    expect(cost.reluForwardCost(a)).toEqual({ flops: 802_816, bytes: 8 * 802_816 });
    expect(cost.batchnormForwardCost(a)).toEqual({ flops: 2 * 802_816, bytes: 4 * (2 * 802_816 + 128) });
    expect(cost.avgPoolForwardCost({ ...a, c: 2048, h: 7, w: 7 })).toEqual({ flops: 100_352 + 2048, bytes: 4 * (100_352 + 2048) });
    expect(cost.linearForwardCost(shapes.linear)).toEqual({ flops: 4_097_000, bytes: 4 * (2048 + 2_048_000 + 1000 + 1000) });
    expect(cost.linearBackwardCost(shapes.linear).flops).toBe(8_193_000);
    expect(cost.gemmCost(1024, 1024, 1024)).toEqual({ flops: 2 ** 31, bytes: 12 * 2 ** 20 });
    expect(cost.rates({ flops: 231_211_008, bytes: 1_753_088 }, 10)).toEqual({ gflops: 23.1211008, gbps: 0.1753088 });
    expect(cost.median([5, 1, 3])).toBe(3);
    expect(cost.median([4, 1, 3, 2])).toBe(2.5);
  });

  test('ResNet50 has 53 convs in 23 distinct shapes; --quick keeps one of each kind', () => {
    expect(shapes.convs).toHaveLength(23);
    expect(shapes.convs.reduce((s, c) => s + c.layers.length, 0)).toBe(53);
    expect(shapes.batchnorms.reduce((s, b) => s + b.layers.length, 0)).toBe(53);
    expect(shapes.adds.reduce((s, b) => s + b.layers.length, 0)).toBe(16);
    expect(conv('layer1.0.downsample.0')).toBe(conv('layer1.0.conv3'));
    const quick = quickConvs(shapes.convs).map((c) => c.key);
    expect(quick).toEqual(['7x7/2 3->64 224x224', '3x3/1 64->64 56x56', '3x3/2 128->128 56x56', '1x1/1 1024->256 14x14', '1x1/2 1024->2048 14x14']);
    // Every kernel kind is in the quick set.
    const kinds = new Set(benchCases(benchConfig({ quick: true })).layers.map((c) => `${c.kind} ${c.pass}`));
    for (const k of ['conv forward', 'conv input_grad', 'conv weight_grad', 'batchnorm forward', 'batchnorm backward', 'relu forward', 'relu backward', 'maxpool forward', 'maxpool backward', 'add forward', 'add backward', 'avgpool forward', 'avgpool backward', 'linear forward', 'linear backward']) {
      expect(kinds, k).toContain(k);
    }
  });
});

describe('ONNX writer', () => {
  test('protobuf varints, fixed32 floats and nested messages', () => {
    const w = new ProtoWriter().int(1, 300).float(2, 1.5).string(3, 'ab').message(4, new ProtoWriter().int(1, 1));
    expect([...w.finish()]).toEqual([0x08, 0xac, 0x02, 0x15, 0x00, 0x00, 0xc0, 0x3f, 0x1a, 0x02, 0x61, 0x62, 0x22, 0x02, 0x08, 0x01]);
  });

  test('ResNet50 graph: nodes, initializers and a model header', () => {
    const weights = syntheticResNet50();
    const g = resnet50Graph(weights, 1, 224, 224);
    const ops = new Map<string, number>();
    for (const n of g.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    expect(Object.fromEntries(ops)).toEqual({ Conv: 53, BatchNormalization: 53, Relu: 49, MaxPool: 1, Add: 16, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(g.initializers.length).toBe(53 + 53 * 4 + 2);
    const small = encodeModel({ name: 'g', nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y', dims: [1] }] });
    expect([...small.subarray(0, 2)]).toEqual([0x08, 0x08]); // ir_version 8
  });
});

describe('flags', () => {
  test('--quick --batch 2 --runs 2 --e2e forward --timing cpu', async () => {
    const flags = parseFlags('bench', ['--quick', '--batch', '2', '--runs', '2', '--e2e', 'forward', '--timing', 'cpu'], BENCH_FLAGS);
    const c = await configFromFlags(flags);
    expect(c).toMatchObject({ quick: true, batch: 2, runs: 2, e2eRuns: 2, e2e: ['forward'], timing: 'cpu', size: 224 });
    await expect(configFromFlags(parseFlags('bench', ['--batch', '0'], BENCH_FLAGS))).rejects.toThrow(/--batch/);
    await expect(configFromFlags(parseFlags('bench', ['--e2e', 'backward'], BENCH_FLAGS))).rejects.toThrow(/unknown task/);
    expect((await configFromFlags(parseFlags('bench', ['--split-k', 'off'], BENCH_FLAGS))).splitK).toBe('off');
    expect(c.splitK).toBe('auto');
    await expect(configFromFlags(parseFlags('bench', ['--split-k', 'on'], BENCH_FLAGS))).rejects.toThrow(/--split-k=on is not a split-K setting: use auto or off/);
    // Kernel settings: the earlier names of tiles and forms still work; unknown values are refused.
    expect(await configFromFlags(parseFlags('bench', ['--tiles', 'direct-fit', '--conv-forms', 'direct', '--reductions', 'serial'], BENCH_FLAGS))).toMatchObject({ tiles: 'untiled-fit', convForms: 'window', reductions: 'serial' });
    await expect(configFromFlags(parseFlags('bench', ['--conv-forms', 'fast'], BENCH_FLAGS))).rejects.toThrow(/--conv-forms=fast is not a conv form choice: use one of auto, window, gemm/);
  });
});

test('a reduced --quick run in-process yields the JSON fields the reports need', async () => {
  // Batch 2: a train-mode batchnorm needs more than one value per channel, and layer4 is 1x1 at 32x32.
  const config = { ...benchConfig({ quick: true, size: 32, batch: 2, runs: 1 }), gemmSize: 64, bandwidthMiB: 1 };
  // One shape per kind keeps the run short; the full quick set is checked above.
  config.filter = ['conv fwd 3x3/1', 'conv dx 3x3/1', 'conv dw 3x3/1', '2x64x8x8', 'maxpool', 'avgpool', 'linear', 'add+relu fwd 2x256x', 'add bwd (branch sum) 2x256x'];
  const ctx = await createNodeGpuContext();
  let result: BenchResult;
  try {
    ({ result } = await runBench(ctx, { config, weights: syntheticResNet50(), weightsName: 'synthetic', surface: 'node', log: (l) => process.env.BENCH_TEST_LOG && console.log(l) }));
  } finally {
    ctx.destroy();
  }
  const json = JSON.parse(JSON.stringify(result)) as BenchResult;
  expect(json.adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String), description: expect.any(String) });
  if (json.adapter.software) expect(json.adapter.note).toBe('software adapter: figures say little about a GPU');
  for (const k of ['forward_ms', 'gradcam_ms', 'input_grad_ms', 'train_step_ms'] as const) expect(json.e2e[k], k).toBeGreaterThan(0);
  expect(json.peers).toEqual({});
  expect(json.date).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(json).toMatchObject({ batch: 2, runs: 1, quick: true, timing: expect.stringMatching(/^(gpu|cpu)$/), split_k: 'auto' });
  expect(json.kernels.length).toBeGreaterThan(10);
  for (const k of json.kernels) {
    expect(k).toMatchObject({ name: expect.any(String), shape: expect.any(String), ms: expect.any(Number), gflops: expect.any(Number), gbps: expect.any(Number) });
    // A tiny kernel (a ReLU on 2x64x8x8) can honestly read 0 where timestamps are coarse (Dawn's quantisation,
    // which DAWN_OPTIONS turns off in Node, or a browser's).
    expect(k.ms, k.name).toBeGreaterThanOrEqual(0);
  }
  expect(json.kernels.reduce((sum, k) => sum + k.ms, 0)).toBeGreaterThan(0);
  expect(json.gemm_tiles).toMatchObject({ choice: expect.any(String), source: 'measured' });
  expect(Object.keys(json.gemm_tiles.timings)).toContain(json.gemm_tiles.choice);
  const kinds = new Set(json.kernels.map((k) => k.kind));
  for (const kind of ['conv', 'batchnorm', 'relu', 'maxpool', 'add', 'avgpool', 'linear']) expect(kinds, kind).toContain(kind);
  expect(json.kernels.filter((k) => k.kind === 'conv').every((k) => k.name.startsWith('conv'))).toBe(true);
  expect(json.roofline.gemm!.gflops).toBeGreaterThan(0);
  // The renderers take it and label the adapter.
  expect(textReport(json)).toContain(json.adapter.note);
  expect(markdownReport(json)).toContain(json.adapter.note);
  expect(markdownReport(json)).toContain('- split-K of the forward and input gradient: auto');
  expect(json.kernel_config).toMatch(/ tiles, f32 operands, (tree|serial) reductions, /);
  expect(textReport(json)).toContain(`kernels: ${json.kernel_config}`);
  expect(svgChart(json)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);

  // Peers: each one's ratios beside its times, a far-off peer flagged, a failed one's reason in one line.
  const e = json.e2e;
  const peerContext = { config, weights: new Map(), input: { shape: [1], data: new Float32Array(1) }, pictures: [], logits: new Float32Array(1), log: () => {} };
  const peers = await runEachPeer(peerContext, {
    twice: async () => ({ forward_ms: e.forward_ms! * 2, gradcam_ms: e.gradcam_ms! * 4, input_grad_ms: null, logits_rel_l2: 1e-6 }),
    off: async () => ({ forward_ms: e.forward_ms! / 2, logits_rel_l2: 10 * LOGITS_TOLERANCE }),
    failed: async () => ({ forward_ms: null, error: 'onnxruntime-node 9.9 has no WebGPU execution provider on linux-x64' }),
  });
  expect(LOGITS_TOLERANCE).toBe(1e-4);
  attachPeers(json, peers);
  expect(json.peers.twice!.wgcam_over_peer).toEqual({ forward: 0.5, gradcam: 0.25 });
  expect(wgcamOverPeer(e, json.peers.off!)).toEqual({ forward: 2 });
  expect(json.peers.off!.notes).toEqual([expect.stringMatching(/^logits differ from wgcam's \(rel L2 1\.0e-3 >= 0\.0001\): not equal work/)]);
  expect(json.peers.failed!.wgcam_over_peer).toEqual({});
  const text = textReport(json);
  expect(text).toContain(`(0.50)`);
  expect(text).toContain(`(0.25)`);
  expect(text).toMatch(/failed .*error: onnxruntime-node 9\.9 has no WebGPU execution provider on linux-x64/);
  expect(markdownReport(json)).toContain("wgcam's median over the peer's");
});

test('CPU-side timing is labelled timing: "cpu"', async () => {
  const config = { ...benchConfig({ quick: true, size: 32, runs: 1 }), gemmSize: 32, bandwidthMiB: 1, e2e: [], timing: 'cpu' as const, filter: ['relu fwd 1x64x16x16'] };
  const ctx = await createNodeGpuContext();
  try {
    const { result } = await runBench(ctx, { config, weights: new Map(), weightsName: 'none', surface: 'node' });
    expect(result.timing).toBe('cpu');
    expect(result.kernels.map((k) => [k.name, k.timing])).toEqual([['relu fwd 1x64x16x16', 'cpu']]);
    expect(result.notes.join('\n')).toContain('timing: "cpu"');
  } finally {
    ctx.destroy();
  }
});

test('--scorecam: masked forwards per second beside a plain batched forward, in both reports', async () => {
  expect((await configFromFlags(parseFlags('bench', ['--quick', '--scorecam'], BENCH_FLAGS))).scorecam).toEqual({ batchSize: 16, channels: 64 });
  expect((await configFromFlags(parseFlags('bench', ['--scorecam', '--scorecam-batch', '8'], BENCH_FLAGS))).scorecam).toEqual({ batchSize: 8, channels: 2048 });
  await expect(configFromFlags(parseFlags('bench', ['--scorecam-batch', '8'], BENCH_FLAGS))).rejects.toThrow(/--scorecam-batch goes with --scorecam/);
  const config = {
    ...benchConfig({ quick: true, size: 32, runs: 1 }),
    gemmSize: 32,
    bandwidthMiB: 1,
    e2e: [],
    timing: 'cpu' as const,
    filter: ['relu fwd 1x64x16x16'],
    scorecam: { batchSize: 4, channels: 10 },
  };
  const ctx = await createNodeGpuContext();
  try {
    const { result } = await runBench(ctx, { config, weights: syntheticResNet50(), weightsName: 'synthetic', surface: 'node' });
    expect(result.scorecam).toMatchObject({ layer: 'layer4', size: 32, batch_size: 4, masked_forwards: 10, subset: true });
    const s = result.scorecam!;
    expect(s.masked_forwards_per_s).toBeCloseTo((10 * 1000) / s.ms, 6);
    expect(s.plain_forwards_per_s).toBeCloseTo((4 * 1000) / s.plain_batch_ms, 6);
    expect(s.over_plain).toBeCloseTo(s.masked_forwards_per_s / s.plain_forwards_per_s, 6);
    expect(textReport(result)).toMatch(/scorecam \(masked forwards per second.*\n.*layer4 at 32x32, batches of 4: 10 masked forwards \(a subset of the channels\)/);
    expect(markdownReport(result)).toContain('## ScoreCAM');
  } finally {
    ctx.destroy();
  }
});
