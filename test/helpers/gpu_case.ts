// What the kernel tests share: reading a result back (and freeing it), running with a reduction style, and one
// conv run forward and through both gradients on odd sizes, with its float64 reference.
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { conv2d } from '../../src/kernels/conv/conv2d.ts';
import { conv2dBackwardInput } from '../../src/kernels/conv/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../../src/kernels/conv/conv2d_backward_weight.ts';
import { configureKernels, type ReductionStyle } from '../../src/kernels/config.ts';
import * as ref from '../reference/ops.ts';

/** `t` read back to the CPU, then released. */
export async function readAndRelease(ctx: GpuContext, t: Tensor): Promise<Float32Array> {
  try {
    return await ctx.read(t);
  } finally {
    t.release();
  }
}

/** `body` run with the context's reductions in `style` (kernels/config.ts), then the previous style put back. */
export async function withReductions<T>(ctx: GpuContext, style: ReductionStyle, body: () => T | Promise<T>): Promise<T> {
  const before = ctx.kernels.reductions;
  configureKernels(ctx, { reductions: style });
  try {
    return await body();
  } finally {
    configureKernels(ctx, { reductions: before });
  }
}

/**
 * x [2,130,17,19], 3x3/2 pad 1 -> 131 channels: large enough that every GEMM of it (forward 131 x 180, input
 * gradient 130 x 144..180 per stride phase, weight gradient 131 x 1170) fills even 128x128 tiles, and odd enough
 * to leave partial tiles on every side.
 */
export const CONV_CASE = {
  xShape: [2, 130, 17, 19] as ref.Shape4,
  wShape: [131, 130, 3, 3] as ref.Shape4,
  dyShape: [2, 131, ref.convOutSize(17, 3, 2, 1), ref.convOutSize(19, 3, 2, 1)] as ref.Shape4,
  geom: { stride: 2, pad: 1 },
};

export interface ConvOperands {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
}

export function convOperands(randn: (n: number) => Float32Array): ConvOperands {
  const size = (shape: readonly number[]) => shape.reduce((p, v) => p * v, 1);
  return { x: randn(size(CONV_CASE.xShape)), w: randn(size(CONV_CASE.wShape)), dy: randn(size(CONV_CASE.dyShape)) };
}

/** The forward y, input gradient dx and weight gradient dw of CONV_CASE on the GPU, with ctx's tiles and operands. */
export async function convOnGpu(ctx: GpuContext, { x, w, dy }: ConvOperands): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  const { xShape, wShape, dyShape, geom } = CONV_CASE;
  const [tx, tw, tdy] = [ctx.upload(x, xShape), ctx.upload(w, wShape), ctx.upload(dy, dyShape)];
  try {
    return {
      y: await readAndRelease(ctx, conv2d(ctx, tx, tw, geom)),
      dx: await readAndRelease(ctx, conv2dBackwardInput(ctx, tdy, tw, xShape, geom)),
      dw: await readAndRelease(ctx, conv2dBackwardWeight(ctx, tdy, tx, wShape, geom)),
    };
  } finally {
    [tx, tw, tdy].forEach((t) => t.release());
  }
}

/** The same three in float64 on the CPU (test/reference). */
export function convReference({ x, w, dy }: ConvOperands): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const { xShape, wShape, dyShape, geom } = CONV_CASE;
  return {
    y: ref.conv2dForward(x, xShape, w, wShape, null, geom).y,
    dx: ref.conv2dBackwardInput(dy, dyShape, w, wShape, xShape, geom),
    dw: ref.conv2dBackwardWeight(dy, dyShape, x, xShape, wShape, geom),
  };
}
