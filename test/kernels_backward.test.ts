// Backward kernels (and the train-mode batchnorm forward) against the float64 CPU reference of
// test/reference/ops.ts, on small odd shapes: strides 1 and 2, paddings 0/1/3, kernels 1/3/7, batches 1 and 3,
// channel counts that cross the 64-wide GEMM tiles, input sizes whose last row gets no gradient.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { batchnormEval, foldBatchnorm } from '../src/kernels/norm/batchnorm.ts';
import { batchnormEvalBackward, batchnormScaleBackward } from '../src/kernels/norm/batchnorm_backward.ts';
import { batchnormTrainBackward, batchnormTrainForward } from '../src/kernels/norm/batchnorm_train_backward.ts';
import { channelReduce } from '../src/kernels/reduce/channel_reduce.ts';
import { reductionThreads } from '../src/kernels/launch.ts';
import { conv2dBackwardInput } from '../src/kernels/conv/conv2d_backward_input.ts';
import { planConv } from '../src/kernels/conv/plan.ts';
import { configureKernels, priorConfig, type WindowRule } from '../src/kernels/config.ts';
import { conv2dBackwardWeight } from '../src/kernels/conv/conv2d_backward_weight.ts';
import { chooseSplitK, sliceReduction } from '../src/kernels/gemm/split_k.ts';
import { DEFAULT_TILES, UNTILED_TILES, type GemmTiles } from '../src/kernels/gemm/tiles.ts';
import { globalAvgPoolBackward } from '../src/kernels/pool/global_avgpool_backward.ts';
import { linearBackward } from '../src/kernels/linear/linear_backward.ts';
import { maxPool, type PoolGeometry } from '../src/kernels/pool/maxpool.ts';
import { maxPoolBackward } from '../src/kernels/pool/maxpool_backward.ts';
import { reluBackward } from '../src/kernels/elementwise/relu_backward.ts';
import { softmaxCrossEntropy } from '../src/kernels/reduce/softmax_cross_entropy.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { withReductions } from './helpers/gpu_case.ts';
import * as ref from './reference/ops.ts';

type Shape4 = [number, number, number, number];

const TOL = 1e-5;
/** For reductions over thousands of f32 terms. */
const TOL_LONG = 1e-4;

let ctx: GpuContext;
const held: Tensor[] = [];
let rng = ref.mulberry32(1);

beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterEach(() => {
  for (const t of held) t.release();
  held.length = 0;
});
afterAll(() => ctx?.destroy());

/** n standard normal values, rounded to f32 (what both sides see). */
function randn(n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from(ref.randn(n, rng), (v) => offset + scale * v);
}

function up(data: Float32Array, shape: readonly number[]): Tensor {
  const t = ctx.upload(data, shape);
  held.push(t);
  return t;
}

/** Read a result back and hand it to the clean-up list. */
async function get(t: Tensor | undefined): Promise<Float32Array> {
  if (!t) throw new Error('missing result');
  held.push(t);
  return ctx.read(t);
}

function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = TOL): void {
  const e = ref.relL2(got, want);
  expect(e, `${name}: relative L2 error ${e}`).toBeLessThan(tol);
}

// ---------------------------------------------------------------------------------------------------------------
// conv2d

interface ConvCase {
  x: Shape4;
  outC: number;
  k: number;
  stride: number;
  pad: number;
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 3, 9, 11], outC: 5, k: 7, stride: 2, pad: 3 }, // conv1-like
  { x: [3, 5, 8, 7], outC: 17, k: 3, stride: 2, pad: 0 }, // (8 - 3) % 2 != 0: the last row gets no gradient
  { x: [3, 17, 7, 5], outC: 33, k: 1, stride: 1, pad: 0 },
  { x: [1, 70, 5, 7], outC: 17, k: 3, stride: 1, pad: 1 }, // 70 input channels: two row tiles of dx
  { x: [1, 33, 9, 11], outC: 70, k: 3, stride: 1, pad: 1 }, // 70 output channels: two row tiles of dW
  { x: [3, 33, 10, 7], outC: 5, k: 1, stride: 2, pad: 0 }, // downsample 1x1/2, odd leftovers in both axes
  { x: [2, 4, 1, 3], outC: 6, k: 3, stride: 2, pad: 1 }, // one input row: the odd-row stride phases are empty
  { x: [2, 3, 13, 37], outC: 7, k: 7, stride: 2, pad: 3 }, // stem-like, phase rows of 19 and 18 pixels: 8-pixel runs and leftovers
  { x: [3, 2, 6, 21], outC: 9, k: 3, stride: 1, pad: 1 }, // 2 channels at stride 1: one phase, 3 taps per row
  { x: [2, 16, 9, 19], outC: 5, k: 3, stride: 1, pad: 1 }, // 16 channels: two blocks of 8, runs of 8, 8, 3
  { x: [1, 12, 7, 10], outC: 6, k: 3, stride: 1, pad: 1 }, // 12 channels: three blocks of 4
];

/** The input gradient's form under the CPU adapters' priors on `tiles`, or another window rule. */
function inputGradForm(tiles: GemmTiles, c: ConvCase, inputGrad: WindowRule = 'dense'): string {
  const config = { ...priorConfig({ description: 'llvmpipe', software: true }), tiles, windows: { forward: 'dense' as const, inputGrad } };
  const [batch, inC, inH, inW] = c.x;
  return planConv(config, { batch, inC, outC: c.outC, inH, inW, kH: c.k, kW: c.k, stride: c.stride, pad: c.pad }, 'inputGrad').form;
}

function convLabel(c: ConvCase): string {
  return `x [${c.x.join(',')}] ${c.k}x${c.k}/${c.stride} pad ${c.pad} -> ${c.outC}`;
}

function convSetup(c: ConvCase) {
  const [, inC, h, w] = c.x;
  const wShape: Shape4 = [c.outC, inC, c.k, c.k];
  const dyShape: Shape4 = [c.x[0], c.outC, ref.convOutSize(h, c.k, c.stride, c.pad), ref.convOutSize(w, c.k, c.stride, c.pad)];
  const x = randn(prod(c.x));
  const wt = randn(prod(wShape));
  const dy = randn(prod(dyShape));
  return { wShape, dyShape, x, wt, dy, geom: { stride: c.stride, pad: c.pad } };
}

describe('conv2d backward', () => {
  test('the cases take every input-gradient form: window, columns + col2im and the implicit phase GEMMs', () => {
    const forms = (tiles: GemmTiles) => CONV_CASES.map((c) => inputGradForm(tiles, c));
    // Tiled core: columns for at most 8 input channels with a window (conv1-like, 5 and 4 channels, 2 and 3).
    expect(forms(DEFAULT_TILES)).toEqual(['columns', 'columns', 'implicit', 'implicit', 'implicit', 'implicit', 'columns', 'columns', 'columns', 'implicit', 'implicit']);
    // Untiled core: the window kernel for windows of 3-4 taps per phase along x over at most 4 channels or a
    // multiple of 4; columns for other windows (5, 70 and 33 channels; a 3x3 at stride 2, 1-2 taps per phase);
    // 1x1 kernels without padding read dy as it lies.
    expect(forms(UNTILED_TILES)).toEqual(['window', 'columns', 'implicit', 'columns', 'columns', 'implicit', 'columns', 'window', 'window', 'window', 'window']);
  });

  // Each case on the default tiled core and on the untiled core, where windowed convs read explicit columns
  // (im2col for the weight gradient, columns + col2im for the input gradient).
  for (const [core, tiles, c] of (['tiled', 'untiled'] as const).flatMap((core) => CONV_CASES.map((c) => [core, core === 'untiled' ? UNTILED_TILES : DEFAULT_TILES, c] as const))) {
    const onCore = (run: () => Promise<void>) => async () => {
      configureKernels(ctx, { tiles: tiles });
      try {
        await run();
      } finally {
        configureKernels(ctx, { tiles: DEFAULT_TILES });
      }
    };
    test(`${core}: input gradient, ${convLabel(c)}`, onCore(async () => {
      const s = convSetup(c);
      const dx = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom));
      const want = ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom);
      expectClose('dx', dx, want);
      if ((c.x[2] + 2 * c.pad - c.k) % c.stride !== 0) {
        // The rows no window reached are exactly zero.
        const [n, ch, h, w] = c.x;
        for (let i = 0; i < n * ch; i++) for (let xx = 0; xx < w; xx++) expect(dx[(i * h + h - 1) * w + xx]).toBe(0);
      }
    }));

    // Split-K of the phase GEMM at stride 1 (GPUs take it where the output tiles are few: conv/plan.ts); the
    // other forms have no slices and ignore it.
    if (c.stride === 1) {
      test(`${core}: input gradient in 3 K slices, ${convLabel(c)}`, onCore(async () => {
        const s = convSetup(c);
        const labels: string[] = [];
        const dispatch = vi.spyOn(ctx, 'dispatch').mockImplementation(function (this: GpuContext, ...args) {
          labels.push(args[3]);
          return GpuContext.prototype.dispatch.apply(this, args);
        });
        try {
          const dx = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom, { splitK: 3 }));
          expectClose('dx', dx, ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom));
        } finally {
          dispatch.mockRestore();
        }
        const sliced = inputGradForm(tiles, c) === 'implicit';
        expect(labels.filter((l) => /^conv2d dx .* split [23]$/.test(l)), labels.join('; ')).toHaveLength(sliced ? 1 : 0);
      }));
    }

    // The fused epilogue (a branch sum, the ReLU mask of the conv's input, a per-channel scale) and dy's scale,
    // against the reference input gradient of the scaled dy followed by those steps on the CPU; at stride 1 also
    // through split-K, whose slices' sum runs the epilogue.
    test(`${core}: input gradient through the fused epilogue and dy scale, ${convLabel(c)}`, onCore(async () => {
      const s = convSetup(c);
      const [n, inC, h, w] = c.x;
      const outC = c.outC;
      const dyScale = randn(outC, 0.5, 1);
      const addend = randn(prod(c.x));
      const reluOutput = Float32Array.from(randn(prod(c.x)), (v) => Math.max(v, 0)); // zeros where masked
      const scale = randn(inC, 0.5, 1);
      const area = s.dyShape[2] * s.dyShape[3];
      const scaledDy = s.dy.map((v, i) => v * dyScale[Math.floor(i / area) % outC]!);
      const want = ref.conv2dBackwardInput(scaledDy, s.dyShape, s.wt, s.wShape, c.x, s.geom).map((v, i) => {
        const sum = v + addend[i]!;
        return reluOutput[i]! > 0 ? sum * scale[Math.floor(i / (h * w)) % inC]! : 0;
      });
      expect(n * inC * h * w).toBe(want.length);
      const args = { dyScale: up(dyScale, [outC]), epilogue: { addend: up(addend, c.x), reluOutput: up(reluOutput, c.x), scale: up(scale, [inC]) } };
      for (const splitK of c.stride === 1 ? [1, 3] : [undefined]) {
        const dx = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom, { ...args, splitK }));
        expectClose(`dx (split-K ${splitK ?? 'default'})`, dx, want);
      }
      // Each step alone, as the model's tape asks for them.
      for (const epilogue of [{ addend: args.epilogue.addend }, { reluOutput: args.epilogue.reluOutput, scale: args.epilogue.scale }]) {
        const plain = ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom).map((v, i) =>
          epilogue.addend ? v + addend[i]! : reluOutput[i]! > 0 ? v * scale[Math.floor(i / (h * w)) % inC]! : 0,
        );
        expectClose('dx (one step)', await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom, { epilogue })), plain);
      }
    }));

    test(`${core}: weight gradient, split-K off and on, ${convLabel(c)}`, onCore(async () => {
      const s = convSetup(c);
      const dy = up(s.dy, s.dyShape);
      const x = up(s.x, c.x);
      const want = ref.conv2dBackwardWeight(s.dy, s.dyShape, s.x, c.x, s.wShape, s.geom);
      const k = s.dyShape[0] * s.dyShape[2] * s.dyShape[3];
      const tol = k > 1000 ? TOL_LONG : TOL;
      expectClose('dW (one slice)', await get(conv2dBackwardWeight(ctx, dy, x, s.wShape, s.geom, { splitK: 1 })), want, tol);
      // 3 slices of whole K tiles (fewer when K is short): equal where K allows, else a partial last slice.
      expectClose('dW (3 slices)', await get(conv2dBackwardWeight(ctx, dy, x, s.wShape, s.geom, { splitK: 3 })), want, tol);
    }));
  }

  // The 3x3s at stride 2 (1-2 taps per phase) take the window input gradient only under the 'all' rule.
  const STRIDED_DIRECT: ConvCase[] = [
    { x: [2, 4, 1, 3], outC: 6, k: 3, stride: 2, pad: 1 }, // empty odd-row phases
    { x: [2, 8, 9, 19], outC: 6, k: 3, stride: 2, pad: 1 }, // two groups of 4 channels, phase rows of 10 and 9
    { x: [1, 12, 10, 7], outC: 5, k: 3, stride: 2, pad: 0 }, // the last row and column get no gradient
  ];
  for (const c of STRIDED_DIRECT) {
    test(`window: input gradient at stride 2, ${convLabel(c)}`, async () => {
      const s = convSetup(c);
      expect(inputGradForm(UNTILED_TILES, c)).toBe('columns');
      expect(inputGradForm(UNTILED_TILES, c, 'all')).toBe('window');
      configureKernels(ctx, { tiles: UNTILED_TILES, windows: { inputGrad: 'all' } });
      try {
        const dx = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom));
        expectClose('dx', dx, ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom));
        // With the fused epilogue: a branch sum and the ReLU mask of the conv's input.
        const addend = randn(prod(c.x));
        const reluOutput = Float32Array.from(randn(prod(c.x)), (v) => Math.max(v, 0));
        const epilogue = { addend: up(addend, c.x), reluOutput: up(reluOutput, c.x) };
        const fused = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom, { epilogue }));
        const want = ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom).map((v, i) => (reluOutput[i]! > 0 ? v + addend[i]! : 0));
        expectClose('dx (fused)', fused, want);
      } finally {
        configureKernels(ctx, { windows: priorConfig(ctx.adapter).windows });
        configureKernels(ctx, { tiles: DEFAULT_TILES });
      }
    });
  }

  test('weight gradient: K slices are equal where K allows it, else rounded up with a shorter last one', () => {
    // The direct core (TILE_K 1): the stem's 12544 pixels in 16 slices rather than 24 uneven ones; layer1's
    // 3136 in 4 rather than 6.
    expect(sliceReduction(12544, 24, 1)).toEqual({ sliceK: 784, splits: 16 });
    expect(sliceReduction(3136, 6, 1)).toEqual({ sliceK: 784, splits: 4 });
    // No divisor of 35 from 2 to 3: 12 + 12 + 11, the last slice runs past K.
    expect(sliceReduction(35, 3, 1)).toEqual({ sliceK: 12, splits: 3 });
    // TILE_K 16: 3136 = 196 tiles, 4 slices of 49; 30 is no whole number of tiles, so one slice of 16 and the rest.
    expect(sliceReduction(3136, 6, 16)).toEqual({ sliceK: 784, splits: 4 });
    expect(sliceReduction(30, 3, 16)).toEqual({ sliceK: 16, splits: 2 });
    // Rounding to whole tiles may leave fewer slices than wanted; one slice is K itself.
    expect(sliceReduction(20, 3, 16)).toEqual({ sliceK: 16, splits: 2 });
    expect(sliceReduction(10, 3, 16)).toEqual({ sliceK: 10, splits: 1 });
    expect(sliceReduction(49, 1, 16)).toEqual({ sliceK: 49, splits: 1 });
  });

  test('weight gradient: the default splits K when the output tiles are few and K is long', async () => {
    const c: ConvCase = { x: [2, 3, 64, 48], outC: 8, k: 7, stride: 2, pad: 3 };
    const s = convSetup(c);
    const k = s.dyShape[0] * s.dyShape[2] * s.dyShape[3];
    const n = 3 * 49;
    expect(chooseSplitK(DEFAULT_TILES, c.outC, n, k)).toBeGreaterThan(1);
    // Layer4-like 3x3 (512 x 4608 outputs, K = 49 per image): enough tiles, no split.
    expect(chooseSplitK(DEFAULT_TILES, 512, 4608, 49)).toBe(1);
    const dw = await get(conv2dBackwardWeight(ctx, up(s.dy, s.dyShape), up(s.x, c.x), s.wShape, s.geom));
    expectClose('dW (default)', dw, ref.conv2dBackwardWeight(s.dy, s.dyShape, s.x, c.x, s.wShape, s.geom), TOL_LONG);
    const dx = await get(conv2dBackwardInput(ctx, up(s.dy, s.dyShape), up(s.wt, s.wShape), c.x, s.geom));
    expectClose('dx', dx, ref.conv2dBackwardInput(s.dy, s.dyShape, s.wt, s.wShape, c.x, s.geom));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// batchnorm

const BN_SHAPES: Shape4[] = [
  [3, 17, 7, 5],
  [1, 5, 9, 11],
  [3, 33, 9, 11], // 297 values per channel: more than one per thread
  [1, 6, 7, 7], // layer4 at batch 1: 49 values per channel, 32 threads
  [2, 9, 3, 2], // 12 values per channel: fewer than the smallest workgroup (32)
];

test('reductions take 32 to 256 threads, at least 16 values each where that allows', () => {
  expect([1, 49, 196, 512, 513, 784, 2049, 3136, 12544].map(reductionThreads)).toEqual([32, 32, 32, 32, 64, 64, 256, 256, 256]);
});

function bnParams(c: number) {
  return {
    gamma: randn(c),
    beta: randn(c),
    mean: randn(c, 0.5),
    variance: Float32Array.from({ length: c }, () => 0.5 + rng()),
  };
}

// Both reduction styles (kernels/config.ts: ReductionStyle): an adapter class's prior may be either.
const BN_CASES = (['tree', 'serial'] as const).flatMap((style) => BN_SHAPES.map((shape) => ({ style, shape })));


describe('batchnorm backward, eval mode', () => {
  for (const { style, shape } of BN_CASES) {
    test(`dx, dgamma, dbeta, [${shape.join(',')}], ${style} reductions`, () => withReductions(ctx, style, async () => {
      const c = shape[1];
      const p = bnParams(c);
      const x = randn(prod(shape), 2, 0.3);
      const dy = randn(prod(shape));
      const r = batchnormEvalBackward(ctx, up(dy, shape), up(x, shape), up(p.gamma, [c]), up(p.mean, [c]), up(p.variance, [c]), 1e-5);
      const want = ref.batchnormEvalBackward(dy, x, shape, p.gamma, p.mean, p.variance, 1e-5);
      expectClose('dx', await get(r.dx), want.dx);
      expectClose('dgamma', await get(r.dgamma), want.dgamma);
      expectClose('dbeta', await get(r.dbeta), want.dbeta);
    }));
  }

  test('scale backward with the fused ReLU mask', async () => {
    const shape: Shape4 = [3, 17, 7, 5];
    const c = shape[1];
    const p = bnParams(c);
    const { scale, shift } = foldBatchnorm(p.gamma, p.beta, p.mean, p.variance);
    const xt = up(randn(prod(shape)), shape);
    const y = batchnormEval(ctx, xt, up(scale, [c]), up(shift, [c]), true);
    held.push(y);
    const yHost = await ctx.read(y);
    expect(yHost.some((v) => v === 0)).toBe(true);
    const dy = randn(prod(shape));
    const dyT = up(dy, shape);
    const masked = ref.reluBackward(dy, yHost);
    const want = Float64Array.from(masked, (g, i) => g * scale[Math.floor(i / 35) % c]!);
    expectClose('dx (masked)', await get(batchnormScaleBackward(ctx, dyT, up(scale, [c]), y)), want);
    const plain = Float64Array.from(dy, (g, i) => g * scale[Math.floor(i / 35) % c]!);
    expectClose('dx (no mask)', await get(batchnormScaleBackward(ctx, dyT, up(scale, [c]))), plain);
  });

  test('channel reduce given invstd', async () => {
    const shape: Shape4 = [3, 5, 9, 11];
    const c = shape[1];
    const p = bnParams(c);
    const invstd = Float32Array.from(p.variance, (v) => 1 / Math.sqrt(v + 1e-5));
    const x = randn(prod(shape));
    const dy = randn(prod(shape));
    const r = channelReduce(ctx, up(dy, shape), up(x, shape), { mean: up(p.mean, [c]), invstd: up(invstd, [c]) });
    const want = ref.batchnormEvalBackward(dy, x, shape, p.gamma, p.mean, p.variance, 1e-5);
    expectClose('sum dy', await get(r.sumDy), want.dbeta);
    expectClose('sum dy*xhat', await get(r.sumDyXhat), want.dgamma);
  });
});

describe('batchnorm, train mode', () => {
  for (const { style, shape } of BN_CASES) {
    test(`forward, running statistics and backward, [${shape.join(',')}], ${style} reductions`, () => withReductions(ctx, style, async () => {
      const c = shape[1];
      const p = bnParams(c);
      // Off-centre data: the two-pass variance has nothing to cancel.
      const x = randn(prod(shape), 2, 3);
      const dy = randn(prod(shape));
      const runningMean = up(p.mean, [c]);
      const runningVar = up(p.variance, [c]);
      const xt = up(x, shape);
      const gamma = up(p.gamma, [c]);
      const f = batchnormTrainForward(ctx, xt, gamma, up(p.beta, [c]), runningMean, runningVar, { momentum: 0.1, eps: 1e-5 });
      const want = ref.batchnormTrainForward(x, shape, p.gamma, p.beta, p.mean, p.variance, 1e-5, 0.1);
      expectClose('y', await get(f.y), want.y);
      const mean = await ctx.read(f.mean);
      expectClose('batch mean', mean, want.batchMean);
      expectClose('invstd', await ctx.read(f.invstd), Float64Array.from(want.batchVarBiased, (v) => 1 / Math.sqrt(v + 1e-5)));
      expectClose('running mean', await ctx.read(runningMean), want.newRunningMean);
      expectClose('running var', await ctx.read(runningVar), want.newRunningVar);

      const b = batchnormTrainBackward(ctx, up(dy, shape), xt, gamma, f.mean, f.invstd);
      held.push(f.mean, f.invstd);
      const wantB = ref.batchnormTrainBackward(dy, x, shape, p.gamma, 1e-5);
      expectClose('dx', await get(b.dx), wantB.dx);
      expectClose('dgamma', await get(b.dgamma), wantB.dgamma);
      expectClose('dbeta', await get(b.dbeta), wantB.dbeta);
    }));
  }

  test('one value per channel is refused, as PyTorch', () => {
    const t = up(new Float32Array(3), [1, 3, 1, 1]);
    const c3 = up(new Float32Array(3), [3]);
    expect(() => batchnormTrainForward(ctx, t, c3, c3, c3, c3, { momentum: 0.1, eps: 1e-5 })).toThrow(/more than 1 value/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// elementwise and pooling

describe('relu, pooling', () => {
  test('relu backward: the gradient passes where y > 0 only', async () => {
    const n = 3 * 17 * 7 * 5;
    const y = Float32Array.from(randn(n), (v) => Math.max(v, 0));
    const dy = randn(n);
    const got = await get(reluBackward(ctx, up(dy, [n]), up(y, [n])));
    expect(Array.from(got)).toEqual(Array.from(ref.reluBackward(dy, y), (v) => Math.fround(v)));
  });

  test('global average pool backward', async () => {
    const shape: Shape4 = [3, 17, 7, 5];
    const dy = randn(3 * 17);
    const got = await get(globalAvgPoolBackward(ctx, up(dy, [3, 17]), shape));
    expectClose('dx', got, ref.globalAvgPoolBackward(dy, shape));
  });

  const POOL_CASES: Array<{ x: Shape4; geom: PoolGeometry }> = [
    { x: [3, 5, 9, 11], geom: { kernel: 3, stride: 2, pad: 1 } }, // ResNet's
    { x: [1, 17, 8, 7], geom: { kernel: 3, stride: 2, pad: 1 } }, // even height
    { x: [1, 3, 7, 5], geom: { kernel: 3, stride: 1, pad: 1 } }, // every input in up to 9 windows
    { x: [3, 3, 9, 7], geom: { kernel: 2, stride: 2, pad: 0 } }, // an uncovered last row and column
  ];

  for (const c of POOL_CASES) {
    test(`max pool backward, x [${c.x.join(',')}] ${c.geom.kernel}x${c.geom.kernel}/${c.geom.stride} pad ${c.geom.pad}`, async () => {
      const x = randn(prod(c.x));
      const { y, argmax } = maxPool(ctx, up(x, c.x), c.geom);
      held.push(y, argmax);
      const want = ref.maxPoolForward(x, c.x, { k: c.geom.kernel, stride: c.geom.stride, pad: c.geom.pad });
      const dy = randn(want.y.length);
      const dx = await get(maxPoolBackward(ctx, up(dy, want.shape), argmax, c.x, c.geom));
      expectClose('dx', dx, ref.maxPoolBackward(dy, want.argmax, c.x));
    });
  }

  test('max pool backward, ties: each window sends its gradient to its first element', async () => {
    const shape: Shape4 = [3, 5, 9, 11];
    const geom: PoolGeometry = { kernel: 3, stride: 2, pad: 1 };
    const x = new Float32Array(prod(shape)).fill(1.5);
    const { y, argmax } = maxPool(ctx, up(x, shape), geom);
    held.push(y, argmax);
    const want = ref.maxPoolForward(x, shape, { k: 3, stride: 2, pad: 1 });
    const dy = randn(want.y.length);
    const dx = await get(maxPoolBackward(ctx, up(dy, want.shape), argmax, shape, geom));
    expectClose('dx', dx, ref.maxPoolBackward(dy, want.argmax, shape));
    // Windows start at columns -1 (padding; first real element 0), 1, 3, ...: input (0, 0) gets output (0, 0)'s
    // gradient, (0, 1) output (0, 1)'s, (0, 2) none. Every window's first element is distinct.
    const [, , oh, ow] = want.shape;
    expect(dx[0]).toBe(dy[0]);
    expect(dx[1]).toBe(dy[1]);
    expect(dx[2]).toBe(0);
    expect(dx.filter((v) => v !== 0).length).toBe(3 * 5 * oh * ow);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// linear, loss

describe('linear backward', () => {
  const CASES = [
    { rows: 3, inF: 33, outF: 17 },
    { rows: 1, inF: 70, outF: 9 },
    { rows: 5, inF: 130, outF: 65 }, // crosses 64-wide tiles in every dimension of dW
  ];
  for (const { rows, inF, outF } of CASES) {
    test(`rows ${rows}, ${inF} -> ${outF}`, async () => {
      const x = randn(rows * inF);
      const w = randn(outF * inF);
      const dy = randn(rows * outF);
      const r = linearBackward(ctx, up(dy, [rows, outF]), up(x, [rows, inF]), up(w, [outF, inF]), { needInput: true, needWeight: true });
      const want = ref.linearBackward(dy, x, w, rows, inF, outF);
      expectClose('dx', await get(r.dx), want.dx);
      expectClose('dW', await get(r.dw), want.dw);
      expectClose('db', await get(r.db), want.db);
    });
  }

  test('only what is asked for', () => {
    const dy = up(randn(6), [2, 3]);
    const w = up(randn(12), [3, 4]);
    const r = linearBackward(ctx, dy, dy, w, { needInput: true, needWeight: false, needBias: false });
    expect(r.dw).toBeUndefined();
    expect(r.db).toBeUndefined();
    held.push(r.dx!);
  });
});

describe('softmax cross-entropy', () => {
  const CASES = [
    { rows: 3, classes: 17, scale: 1 },
    { rows: 5, classes: 1000, scale: 10 }, // ImageNet head, peaked: some probabilities underflow
    { rows: 1, classes: 65, scale: 3 },
  ];
  // The batch mean is a reduction: both styles.
  for (const { rows, classes, scale, style } of (['tree', 'serial'] as const).flatMap((style) => CASES.map((c) => ({ ...c, style })))) {
    test(`rows ${rows}, ${classes} classes, ${style} reductions`, () => withReductions(ctx, style, async () => {
      const logits = randn(rows * classes, scale);
      const labels = Uint32Array.from({ length: rows }, () => Math.floor(rng() * classes));
      const lab = ctx.upload(labels, [rows]);
      held.push(lab);
      const r = softmaxCrossEntropy(ctx, up(logits, [rows, classes]), lab);
      const want = ref.crossEntropyMean(logits, labels, rows, classes);
      const loss = await get(r.loss);
      expect(r.loss.shape).toEqual([1]);
      expect(Math.abs(loss[0]! - want.loss) / Math.abs(want.loss)).toBeLessThan(TOL);
      expectClose('dlogits', await get(r.dlogits), want.dlogits);
    }));
  }
});

test('softmax cross-entropy: a label out of range gives a NaN loss, not an out-of-bounds read', async () => {
  const lab = ctx.upload(Uint32Array.from([1, 7]), [2]);
  held.push(lab);
  const r = softmaxCrossEntropy(ctx, up(randn(10), [2, 5]), lab);
  held.push(r.dlogits);
  expect(Number.isNaN((await get(r.loss))[0])).toBe(true);
});

test('every wrapper released its temporaries', () => {
  // afterEach has released what the tests held; split-K slices, batchnorm stats, row losses must be gone too.
  expect(ctx.pool.liveBytes).toBe(0);
});
