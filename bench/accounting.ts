// FLOPs and bytes of each benchmarked kernel: the model the GFLOP/s and GB/s columns divide by.
//
// FLOPs are the useful arithmetic of the operation (a multiply-add is 2), not what a kernel happens to execute:
// a strided conv's input gradient counts the forward's products, whatever the kernel skips or wastes.
// Bytes are the compulsory traffic: every tensor the operation reads, and every one it writes, once (f32 and
// u32 are 4 bytes). Temporaries a kernel makes for itself (split-K partial sums) are not counted, so GB/s is a
// lower bound on what the memory system really moved.
import type { ActShape, ConvShape, LinearShape } from './shapes.ts';

export interface Cost {
  flops: number;
  bytes: number;
}

const F32 = 4;

export function convMacs(c: ConvShape): number {
  return c.batch * c.outC * c.outH * c.outW * c.inC * c.kernel * c.kernel;
}

const convSizes = (c: ConvShape) => ({
  x: c.batch * c.inC * c.inH * c.inW,
  w: c.outC * c.inC * c.kernel * c.kernel,
  y: c.batch * c.outC * c.outH * c.outW,
});

/** y = conv(x, w): reads x and w, writes y. */
export function convForwardCost(c: ConvShape): Cost {
  const s = convSizes(c);
  return { flops: 2 * convMacs(c), bytes: F32 * (s.x + s.w + s.y) };
}

/** dx from dy and w: reads dy and w, writes dx. */
export function convInputGradCost(c: ConvShape): Cost {
  const s = convSizes(c);
  return { flops: 2 * convMacs(c), bytes: F32 * (s.y + s.w + s.x) };
}

/** dw from dy and x: reads dy and x, writes dw. */
export function convWeightGradCost(c: ConvShape): Cost {
  const s = convSizes(c);
  return { flops: 2 * convMacs(c), bytes: F32 * (s.y + s.x + s.w) };
}

const elems = (a: ActShape): number => a.n * a.c * a.h * a.w;

/** Eval batchnorm, y = x * scale[c] + shift[c]: 2 FLOPs per element; x, y and the two per-channel vectors. */
export function batchnormForwardCost(a: ActShape): Cost {
  return { flops: 2 * elems(a), bytes: F32 * (2 * elems(a) + 2 * a.c) };
}

/**
 * Eval batchnorm backward with parameter gradients: dx = dy * scale (1 FLOP), dbeta += dy (1) and
 * dgamma += dy * (x - mean) * invstd (4): 6 per element; reads dy, x, gamma, mean, var; writes dx, dgamma, dbeta.
 */
export function batchnormBackwardCost(a: ActShape): Cost {
  return { flops: 6 * elems(a), bytes: F32 * (3 * elems(a) + 5 * a.c) };
}

/** The fused backward of conv + batchnorm + ReLU: dx = (y > 0 ? dy : 0) * scale[c]; reads dy, y, scale; writes dx. */
export function batchnormScaleBackwardCost(a: ActShape): Cost {
  return { flops: 2 * elems(a), bytes: F32 * (3 * elems(a) + a.c) };
}

/**
 * Train batchnorm forward: batch mean and variance (3 FLOPs per element: a sum, a square, a sum), the running
 * statistics, then the affine (2): 5 per element; reads x twice in principle but counted once; writes y.
 */
export function batchnormTrainForwardCost(a: ActShape): Cost {
  return { flops: 5 * elems(a), bytes: F32 * (2 * elems(a) + 8 * a.c) };
}

/** Train batchnorm backward: the two sums (5 per element) and dx from them (4 per element); reads dy, x; writes dx. */
export function batchnormTrainBackwardCost(a: ActShape): Cost {
  return { flops: 9 * elems(a), bytes: F32 * (3 * elems(a) + 5 * a.c) };
}

export function reluForwardCost(a: ActShape): Cost {
  return { flops: elems(a), bytes: F32 * 2 * elems(a) };
}

/** dx = y > 0 ? dy : 0: reads dy and y, writes dx. */
export function reluBackwardCost(a: ActShape): Cost {
  return { flops: elems(a), bytes: F32 * 3 * elems(a) };
}

/** Residual add with its ReLU fused (as the network runs it): 2 FLOPs per element; reads a, b; writes y. */
export function addReluForwardCost(a: ActShape): Cost {
  return { flops: 2 * elems(a), bytes: F32 * 3 * elems(a) };
}

/** The gradient of a block input, summed over its two branches (the tape's accumulation): an add. */
export function addBackwardCost(a: ActShape): Cost {
  return { flops: elems(a), bytes: F32 * 3 * elems(a) };
}

export interface PoolShape {
  kernel: number;
  stride: number;
  pad: number;
}

export const RESNET_POOL: PoolShape = { kernel: 3, stride: 2, pad: 1 };

export function pooledSize(a: ActShape, p: PoolShape = RESNET_POOL): [number, number] {
  const o = (s: number) => Math.floor((s + 2 * p.pad - p.kernel) / p.stride) + 1;
  return [o(a.h), o(a.w)];
}

/** Max pool: kernel^2 comparisons per output; reads x, writes y and its argmax (u32). */
export function maxPoolForwardCost(a: ActShape, p: PoolShape = RESNET_POOL): Cost {
  const [oh, ow] = pooledSize(a, p);
  const out = a.n * a.c * oh * ow;
  return { flops: p.kernel * p.kernel * out, bytes: F32 * (elems(a) + 2 * out) };
}

/** Max pool backward: one add per output gradient; reads dy and argmax, writes dx. */
export function maxPoolBackwardCost(a: ActShape, p: PoolShape = RESNET_POOL): Cost {
  const [oh, ow] = pooledSize(a, p);
  const out = a.n * a.c * oh * ow;
  return { flops: out, bytes: F32 * (2 * out + elems(a)) };
}

/** Global average pool: one add per element and one divide per channel; reads x, writes [N, C]. */
export function avgPoolForwardCost(a: ActShape): Cost {
  return { flops: elems(a) + a.n * a.c, bytes: F32 * (elems(a) + a.n * a.c) };
}

/** Its backward: dx = dy / (H W), one divide per element; reads dy [N, C], writes dx. */
export function avgPoolBackwardCost(a: ActShape): Cost {
  return { flops: elems(a), bytes: F32 * (elems(a) + a.n * a.c) };
}

/** y = x W^T + b: 2 rows in out + rows out; reads x, W, b; writes y. */
export function linearForwardCost(l: LinearShape): Cost {
  const { rows, inFeatures: k, outFeatures: n } = l;
  return { flops: 2 * rows * k * n + rows * n, bytes: F32 * (rows * k + n * k + n + rows * n) };
}

/** dx = dy W, dW = dy^T x, db = column sums of dy; reads dy, W, x; writes dx, dW, db. */
export function linearBackwardCost(l: LinearShape): Cost {
  const { rows, inFeatures: k, outFeatures: n } = l;
  return { flops: 4 * rows * k * n + rows * n, bytes: F32 * (rows * n + n * k + rows * k + rows * k + n * k + n) };
}

/** C[M,N] = A[M,K] B[K,N]. */
export function gemmCost(m: number, n: number, k: number): Cost {
  return { flops: 2 * m * n * k, bytes: F32 * (m * k + k * n + m * n) };
}

/** GFLOP/s and GB/s of a cost done in `ms` milliseconds. */
export function rates(cost: Cost, ms: number): { gflops: number; gbps: number } {
  if (!(ms > 0)) return { gflops: 0, gbps: 0 };
  return { gflops: cost.flops / ms / 1e6, gbps: cost.bytes / ms / 1e6 };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
