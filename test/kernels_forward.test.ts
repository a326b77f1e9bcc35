// Forward kernels against the float64 CPU reference (test/reference/ops.ts) on small odd shapes: strides 1 and
// 2, paddings, kernels 1/3/7, batch > 1, channel counts that cross the 64-wide GEMM tiles, and the fused
// conv epilogue (batchnorm affine, residual, ReLU).
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { add } from '../src/kernels/elementwise/add.ts';
import { batchnormEval, foldBatchnorm } from '../src/kernels/norm/batchnorm.ts';
import { conv2d } from '../src/kernels/conv/conv2d.ts';
import { configureKernels, priorConfig, type KernelConfig } from '../src/kernels/config.ts';
import { planConv } from '../src/kernels/conv/plan.ts';
import { DEFAULT_TILES, UNTILED_TILES, type GemmTiles } from '../src/kernels/gemm/tiles.ts';
import { globalAvgPool } from '../src/kernels/pool/global_avgpool.ts';
import { linear } from '../src/kernels/linear/linear.ts';
import { maxPool } from '../src/kernels/pool/maxpool.ts';
import { relu } from '../src/kernels/elementwise/relu.ts';
import { softmax } from '../src/kernels/reduce/softmax.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { withReductions } from './helpers/gpu_case.ts';
import { skipBecause } from './helpers/skip.ts';
import * as ref from './reference/ops.ts';

type Shape4 = [number, number, number, number];
const TOL = 1e-5;

let ctx: GpuContext;
const held: Tensor[] = [];
const rng = ref.mulberry32(7);

beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterEach(() => {
  for (const t of held) t.release();
  held.length = 0;
});
afterAll(() => ctx?.destroy());

function random(n: number): Float32Array {
  return Float32Array.from(ref.randn(n, rng));
}
function gpu(data: Float32Array, shape: readonly number[]): Tensor {
  const t = ctx.upload(data, shape);
  held.push(t);
  return t;
}
async function read(t: Tensor): Promise<Float32Array> {
  held.push(t);
  return t.read();
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('conv2d', () => {
  const cases: Array<{ x: Shape4; out: number; k: number; stride: number; pad: number }> = [
    { x: [2, 5, 9, 7], out: 70, k: 3, stride: 2, pad: 1 },
    { x: [1, 3, 23, 19], out: 8, k: 7, stride: 2, pad: 3 },
    { x: [3, 17, 6, 5], out: 33, k: 1, stride: 1, pad: 0 },
    { x: [2, 66, 5, 9], out: 3, k: 3, stride: 1, pad: 1 },
    { x: [1, 9, 11, 4], out: 130, k: 1, stride: 2, pad: 0 },
    { x: [2, 6, 9, 21], out: 16, k: 3, stride: 1, pad: 1 }, // direct kernel: two blocks of 8 channels, runs of 8, 8, 5
    { x: [1, 4, 5, 3], out: 8, k: 3, stride: 1, pad: 0 }, // direct kernel without padding: a 3x1 output
  ];
  // The forward's form under the CPU adapters' window rule ('dense') on `tiles`, or another rule.
  const formOf = (tiles: GemmTiles, c: { x: Shape4; out: number; k: number; stride: number; pad: number }, forward: KernelConfig['windows']['forward'] = 'dense') => {
    const config: KernelConfig = { ...priorConfig({ description: 'llvmpipe', software: true }), tiles, windows: { forward, inputGrad: 'dense' } };
    const [batch, inC, inH, inW] = c.x;
    return planConv(config, { batch, inC, outC: c.out, inH, inW, kH: c.k, kW: c.k, stride: c.stride, pad: c.pad }, 'forward').form;
  };
  test('on the untiled core, 3x3/1 windows and the 7x7/2 with output channels in eights take the window kernel', () => {
    expect(cases.map((c) => formOf(UNTILED_TILES, c))).toEqual(['columns', 'window', 'implicit', 'columns', 'columns', 'window', 'window']);
    expect(cases.map((c) => formOf(DEFAULT_TILES, c))).toEqual(cases.map(() => 'implicit'));
  });
  // On the default tiled core, and on the untiled core, where windowed convs read explicit columns (im2col) or,
  // at stride 1 and for the 7x7/2, take the window kernel.
  const onCores = [DEFAULT_TILES, UNTILED_TILES].flatMap((tiles) => cases.map((c) => ({ core: tiles.core, tiles, ...c })));
  test.each(onCores)('plain $core %o', async ({ tiles, x: xs, out, k, stride, pad }) => {
    const ws: Shape4 = [out, xs[1], k, k];
    const x = random(size(xs));
    const w = random(size(ws));
    configureKernels(ctx, { tiles: tiles });
    try {
      const got = await read(conv2d(ctx, gpu(x, xs), gpu(w, ws), { stride, pad }));
      const want = ref.conv2dForward(x, xs, w, ws, null, { stride, pad });
      expect(relL2(got, want.y)).toBeLessThan(TOL);
    } finally {
      configureKernels(ctx, { tiles: DEFAULT_TILES });
    }
  });

  // Strided windows take the window kernel (an even and an odd window per input row) under the 'all' rule, or
  // under 'dense' with at least 3 taps per stride phase (the 7-wide ones); each case here sets the rule. Output rows of 1, 8 + 3 and 21 pixels;
  // inputs of odd and even widths, so the odd window's last entry falls inside and outside the row.
  const strided: Array<{ x: Shape4; out: number; k: number; pad: number }> = [
    { x: [1, 3, 23, 19], out: 8, k: 7, pad: 3 },
    { x: [1, 3, 11, 42], out: 16, k: 7, pad: 3 },
    { x: [2, 6, 13, 21], out: 16, k: 3, pad: 1 },
    { x: [1, 12, 6, 22], out: 8, k: 3, pad: 1 },
    { x: [1, 5, 7, 4], out: 24, k: 3, pad: 0 },
    { x: [1, 4, 12, 17], out: 8, k: 5, pad: 2 },
  ];
  test('strided windows fit the window kernel, and take it under the dense rule with 3 or more taps per phase', () => {
    for (const c of strided) {
      const s2 = { ...c, stride: 2 };
      expect(formOf(UNTILED_TILES, s2, 'all')).toBe('window');
      expect(formOf(UNTILED_TILES, s2)).toBe(c.k >= 7 ? 'window' : 'columns');
      expect(formOf(UNTILED_TILES, s2, 'none')).toBe('columns');
      expect(formOf(DEFAULT_TILES, s2, 'all')).toBe('implicit');
    }
    // A 1x1 at stride 2 has no window to share; a 9-wide kernel at stride 2 has 5 taps in a phase; stride 3.
    expect(formOf(UNTILED_TILES, { x: [1, 4, 9, 9], out: 16, k: 1, stride: 2, pad: 0 }, 'all')).toBe('columns');
    expect(formOf(UNTILED_TILES, { x: [1, 4, 19, 19], out: 16, k: 9, stride: 2, pad: 4 }, 'all')).toBe('columns');
    expect(formOf(UNTILED_TILES, { x: [1, 4, 19, 19], out: 16, k: 3, stride: 3, pad: 1 }, 'all')).toBe('columns');
  });
  const stridedForms = strided.flatMap((c) => [true, false].map((direct) => ({ ...c, form: direct ? 'direct' : 'gemm' })));
  test.each(stridedForms)('$form form at stride 2 (tuned) %o', async ({ x: xs, out, k, pad, form }) => {
    const ws: Shape4 = [out, xs[1], k, k];
    const x = random(size(xs));
    const w = random(size(ws));
    configureKernels(ctx, { tiles: UNTILED_TILES });
    configureKernels(ctx, { windows: { forward: (form === 'direct') ? 'all' : 'none' } });
    try {
      const got = await read(conv2d(ctx, gpu(x, xs), gpu(w, ws), { stride: 2, pad }));
      const want = ref.conv2dForward(x, xs, w, ws, null, { stride: 2, pad });
      expect(relL2(got, want.y)).toBeLessThan(TOL);
    } finally {
      configureKernels(ctx, { windows: priorConfig(ctx.adapter).windows });
      configureKernels(ctx, { tiles: DEFAULT_TILES });
    }
  });

  // The window kernel adds each output's products in the GEMM form's order, (ci, ky, kx), so which form a conv
  // takes never changes a result: the two agree bit for bit, with the fused epilogue too.
  const sameBits = [...strided.map((c) => ({ ...c, stride: 2 })), { x: [2, 6, 9, 21] as Shape4, out: 16, k: 3, pad: 1, stride: 1 }];
  test.each(sameBits)('window kernel and im2col + GEMM give the same bits %o', async ({ x: xs, out, k, pad, stride }) => {
    const ws: Shape4 = [out, xs[1], k, k];
    const x = gpu(random(size(xs)), xs);
    const w = gpu(random(size(ws)), ws);
    const scale = gpu(random(out), [out]);
    const shift = gpu(random(out), [out]);
    const shape = { inC: xs[1], outC: out, kH: k, kW: k, stride, pad };
    const run = async (direct: boolean, withEpilogue: boolean) => {
      configureKernels(ctx, { windows: { forward: (direct) ? 'all' : 'none' } });
      return read(conv2d(ctx, x, w, { stride, pad }, withEpilogue ? { scale, shift, relu: true } : {}));
    };
    configureKernels(ctx, { tiles: UNTILED_TILES });
    try {
      for (const withEpilogue of [false, true]) {
        const direct = await run(true, withEpilogue);
        const gemm = await run(false, withEpilogue);
        expect(direct.some((v) => v !== 0)).toBe(true);
        expect(Buffer.from(direct.buffer).equals(Buffer.from(gemm.buffer)), `epilogue ${withEpilogue}`).toBe(true);
      }
    } finally {
      configureKernels(ctx, { windows: priorConfig(ctx.adapter).windows });
      configureKernels(ctx, { tiles: DEFAULT_TILES });
    }
  });

  // Split-K (what GPUs get where the output tiles are few; conv/plan.ts): the slices' partial sums, added by
  // conv2d_split_k_sum.wgsl, then the epilogue, against the float64 reference. 16 input channels give 144 = 3 x 48
  // reduction steps (exact slices); 7 give 63, whose last slice overhangs K. The 7x7/2 reads
  // columns on the untiled core, the 1x1 reads x itself.
  const splitCases = [DEFAULT_TILES, UNTILED_TILES].flatMap((tiles) =>
    [
      { xs: [2, 16, 6, 5] as Shape4, out: 24, k: 3, stride: 1, pad: 1 },
      { xs: [1, 7, 8, 9] as Shape4, out: 16, k: 3, stride: 2, pad: 1 },
      { xs: [1, 3, 15, 13] as Shape4, out: 8, k: 7, stride: 2, pad: 3 },
      { xs: [3, 40, 4, 3] as Shape4, out: 9, k: 1, stride: 1, pad: 0 },
    ].map((c) => ({ core: tiles.core, tiles, ...c })),
  );
  test.each(splitCases)('split-K forward with batchnorm + residual + ReLU %o', async ({ tiles, xs, out, k, stride, pad }) => {
    const ws: Shape4 = [out, xs[1], k, k];
    const x = random(size(xs));
    const w = random(size(ws));
    const gamma = random(out);
    const beta = random(out);
    const mean = random(out);
    const variance = Float32Array.from(ref.randn(out, rng), (v) => 0.5 + v * v);
    const { scale, shift } = foldBatchnorm(gamma, beta, mean, variance);
    const conv = ref.conv2dForward(x, xs, w, ws, null, { stride, pad });
    const residual = random(conv.y.length);
    const want = ref.reluForward(ref.addForward(ref.batchnormEvalForward(conv.y, conv.shape, gamma, beta, mean, variance), residual));
    configureKernels(ctx, { tiles: tiles });
    configureKernels(ctx, { windows: { forward: (false) ? 'all' : 'none' } }); // the GEMM form: the window kernel has no slices
    const labels: string[] = [];
    const dispatch = vi.spyOn(ctx, 'dispatch').mockImplementation(function (this: GpuContext, ...args) {
      labels.push(args[3]);
      return GpuContext.prototype.dispatch.apply(this, args);
    });
    try {
      const epilogue = { scale: gpu(scale, [out]), shift: gpu(shift, [out]), residual: gpu(residual, conv.shape), relu: true };
      const y = conv2d(ctx, gpu(x, xs), gpu(w, ws), { stride, pad }, epilogue, { splitK: 3 });
      expect(labels.filter((l) => / split [23]$/.test(l)), labels.join('; ')).toHaveLength(1);
      expect(labels.filter((l) => l.startsWith('conv2d split-k sum'))).toHaveLength(1);
      expect(relL2(await read(y), want)).toBeLessThan(TOL);
    } finally {
      dispatch.mockRestore();
      configureKernels(ctx, { windows: priorConfig(ctx.adapter).windows });
      configureKernels(ctx, { tiles: DEFAULT_TILES });
    }
  });

  test('split-K: layer4 at batch 1 is cut on GPUs, never on CPU adapters', () => {
    const slices = (description: string, software: boolean, c: { inC: number; outC: number; size: number; k: number }, splitK?: boolean) => {
      const config = { ...priorConfig({ description, software }), tiles: DEFAULT_TILES, ...(splitK === undefined ? {} : { splitK }) };
      return planConv(config, { batch: 1, inC: c.inC, outC: c.outC, inH: c.size, inW: c.size, kH: c.k, kW: c.k, stride: 1, pad: c.k === 3 ? 1 : 0 }, 'forward').splits;
    };
    // 512 channels x 49 pixels is 8 tiles of 64x64; K = 4608 = 9 slices of 512.
    const layer4 = { inC: 512, outC: 512, size: 7, k: 3 };
    expect(slices('NVIDIA H200', false, layer4)).toBe(9);
    expect(slices('llvmpipe', true, layer4)).toBe(1);
    // layer1's 3x3: 64 channels x 3136 pixels is 49 tiles over K = 576, too short to cut.
    expect(slices('NVIDIA H200', false, { inC: 64, outC: 64, size: 56, k: 3 })).toBe(1);
    // `wgcam bench --split-k off`, to compare on a GPU.
    expect(slices('NVIDIA H200', false, layer4, false)).toBe(1);
  });

  // 24 output channels: on the untiled core, the window kernel's epilogue.
  const fused = [DEFAULT_TILES, UNTILED_TILES].flatMap((tiles) => [false, true].map((withResidual) => ({ core: tiles.core, tiles, withResidual })));
  test.each(fused)('fused batchnorm + residual + ReLU %o', async ({ tiles, withResidual }) => {
    const xs: Shape4 = [2, 7, 8, 5];
    const ws: Shape4 = [24, 7, 3, 3];
    const x = random(size(xs));
    const w = random(size(ws));
    const gamma = random(24);
    const beta = random(24);
    const mean = random(24);
    const variance = Float32Array.from(ref.randn(24, rng), (v) => 0.5 + v * v);
    const { scale, shift } = foldBatchnorm(gamma, beta, mean, variance);
    const conv = ref.conv2dForward(x, xs, w, ws, null, { stride: 1, pad: 1 });
    const residual = random(conv.y.length);
    let want = ref.batchnormEvalForward(conv.y, conv.shape, gamma, beta, mean, variance);
    if (withResidual) want = ref.addForward(want, residual);
    want = ref.reluForward(want);
    configureKernels(ctx, { tiles: tiles });
    try {
      const y = conv2d(ctx, gpu(x, xs), gpu(w, ws), { stride: 1, pad: 1 }, {
        scale: gpu(scale, [24]),
        shift: gpu(shift, [24]),
        residual: withResidual ? gpu(residual, conv.shape) : undefined,
        relu: true,
      });
      expect(relL2(await read(y), want)).toBeLessThan(TOL);
    } finally {
      configureKernels(ctx, { tiles: DEFAULT_TILES });
    }
  });
});

test('batchnorm (eval), with and without ReLU', async () => {
  const xs: Shape4 = [3, 5, 7, 3];
  const x = random(size(xs));
  const gamma = random(5);
  const beta = random(5);
  const mean = random(5);
  const variance = Float32Array.from(ref.randn(5, rng), (v) => 0.3 + v * v);
  const { scale, shift } = foldBatchnorm(gamma, beta, mean, variance);
  const want = ref.batchnormEvalForward(x, xs, gamma, beta, mean, variance);
  expect(relL2(await read(batchnormEval(ctx, gpu(x, xs), gpu(scale, [5]), gpu(shift, [5]))), want)).toBeLessThan(TOL);
  expect(relL2(await read(batchnormEval(ctx, gpu(x, xs), gpu(scale, [5]), gpu(shift, [5]), true)), ref.reluForward(want))).toBeLessThan(TOL);
});

test('relu and residual add', async () => {
  const s: Shape4 = [2, 3, 5, 7];
  const a = random(size(s));
  const b = random(size(s));
  expect(await read(relu(ctx, gpu(a, s)))).toEqual(Float32Array.from(ref.reluForward(a)));
  expect(relL2(await read(add(ctx, gpu(a, s), gpu(b, s))), ref.addForward(a, b))).toBeLessThan(1e-7);
  expect(relL2(await read(add(ctx, gpu(a, s), gpu(b, s), true)), ref.reluForward(ref.addForward(a, b)))).toBeLessThan(1e-7);
});

describe('max pool 3x3 stride 2 pad 1', () => {
  test.each<{ xs: Shape4 }>([{ xs: [2, 3, 9, 7] }, { xs: [1, 4, 8, 8] }, { xs: [3, 2, 5, 11] }])('%o', async ({ xs }) => {
    const x = random(size(xs));
    const { y, argmax } = maxPool(ctx, gpu(x, xs));
    held.push(argmax);
    const want = ref.maxPoolForward(x, xs);
    expect(y.shape).toEqual([...want.shape]);
    expect(await read(y)).toEqual(Float32Array.from(want.y));
  });

  test('ties go to the first element of the window, as PyTorch', async () => {
    const xs: Shape4 = [1, 1, 5, 5];
    const { y, argmax } = maxPool(ctx, gpu(new Float32Array(25).fill(2), xs));
    held.push(y);
    held.push(argmax);
    // Windows start at rows/cols -1, 1, 3: the first in-bounds element is (0|1|3, 0|1|3).
    expect(Array.from(await ctx.readU32(argmax))).toEqual([0, 1, 3, 5, 6, 8, 15, 16, 18]);
  });
});

test.each(['tree', 'serial'] as const)('global average pool, including planes larger than a workgroup, %s reductions', (style) =>
  withReductions(ctx, style, async () => {
    for (const xs of [[2, 3, 7, 7], [1, 2, 33, 41]] as Shape4[]) {
      const x = random(size(xs));
      expect(relL2(await read(globalAvgPool(ctx, gpu(x, xs))), ref.globalAvgPoolForward(x, xs))).toBeLessThan(TOL);
    }
  }),
);

test.each([[1, 2048, 1000], [3, 37, 70], [2, 5, 129]])('linear rows=%i in=%i out=%i', async (rows, inF, outF) => {
  const x = random(rows * inF);
  const w = random(outF * inF);
  const b = random(outF);
  const got = await read(linear(ctx, gpu(x, [rows, inF]), gpu(w, [outF, inF]), gpu(b, [outF])));
  expect(relL2(got, ref.linearForward(x, w, b, rows, inF, outF))).toBeLessThan(TOL);
});

test('softmax over 1000 classes, stable for large logits', async () => {
  const logits = Float32Array.from(ref.randn(2000, rng), (v, i) => v * 3 + (i < 1000 ? 500 : 0));
  const got = await read(softmax(ctx, gpu(logits, [2, 1000])));
  expect(relL2(got, ref.softmax(logits, 2, 1000))).toBeLessThan(TOL);
});

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return ref.relL2(a, b);
}

test('readMany gives what read gives, tensor by tensor, through one staging buffer', async () => {
  const shapes = [[3], [2, 5, 7], [1], [64, 33]];
  const tensors = shapes.map((s) => gpu(random(size(s)), s));
  const one = await Promise.all(tensors.map((t) => ctx.read(t)));
  const createBuffer = vi.spyOn(ctx.device, 'createBuffer');
  try {
    const many = await ctx.readMany(tensors);
    expect(many.map((a) => Array.from(a))).toEqual(one.map((a) => Array.from(a)));
    expect(createBuffer.mock.calls.filter(([d]) => (d.usage & GPUBufferUsage.MAP_READ) !== 0)).toHaveLength(1);
  } finally {
    createBuffer.mockRestore();
  }
});

test('kernel timestamps are not quantised (Dawn rounds them down to 2^16 ns unless told not to)', async (context) => {
  // Without DAWN_OPTIONS' timestamp_quantization switch every interval is a multiple of 65536 ns: on a GPU,
  // where kernels take microseconds, that made every kernel time and tuning choice a step of 65.5 us.
  if (!ctx.hasTimestamps) skipBecause(context, `the adapter (${ctx.adapter.description}) has no timestamp-query`); // lavapipe, where the suite runs, has it
  expect(ctx.setProfiling(true)).toBe(true);
  const times: number[] = [];
  try {
    const x = gpu(random(64 * 1024), [64, 1024]);
    for (let i = 0; i < 8; i++) held.push(relu(ctx, x));
    times.push(...(await ctx.collectTimings()).map((t) => Math.round(t.ms * 1e6)));
  } finally {
    ctx.setProfiling(false);
  }
  expect(times).toHaveLength(8);
  // One in 65536 intervals is such a multiple by chance; all 8, never.
  expect(times.filter((ns) => ns % 65536 !== 0).length, times.join(', ')).toBeGreaterThan(0);
});
