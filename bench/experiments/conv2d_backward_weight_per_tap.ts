// The per-tap weight gradient: without columns or a GEMM core, one small GEMM per tap (see the .wgsl). Moved
// out of src/ (bench/NOTES.md, "Software-adapter variants": it did not pay on whole train steps); it adds over
// the GEMM form's K slices (src/kernels/gemm/split_k.ts: sliceReduction), so both give the same bits.
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { convPrelude, convUniform, type ConvShapeConstants } from '../../src/kernels/conv/geometry.ts';
import source from './conv2d_backward_weight_per_tap.wgsl?raw';
import { operandRounding } from '../../src/kernels/gemm/tiles.ts';
import { groups1d, shader } from '../../src/kernels/wgsl.ts';

/** Output channels and input channels per thread (one tap each). */
const CHANNELS_PER_THREAD = 8;
const THREADS_PER_WORKGROUP = 64;

/** Whether this kernel can compute a weight gradient: input and output channels in multiples of 8. */
export function perTapWeightGradFits(inC: number, outC: number): boolean {
  return inC % CHANNELS_PER_THREAD === 0 && outC % CHANNELS_PER_THREAD === 0;
}

/**
 * The weight gradient of y = conv2d(x, w) over K slices of `sliceK` pixels (conv2d_backward_weight.ts's
 * sliceReduction), into `out`: dW [CO, CI, KH, KW] for one slice, else the slices' partial sums [slices, CO,
 * CI * KH * KW] for split_k_reduce.
 */
export function conv2dWeightGradDirect(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  out: Tensor,
  geometry: ConvShapeConstants,
  sliceK: number,
  slices: number,
): void {
  const [batch, inC] = x.shape as [number, number, number, number];
  const outC = dy.shape[1]!;
  const threads = (inC / CHANNELS_PER_THREAD) * (outC / CHANNELS_PER_THREAD) * geometry.kH * geometry.kW * slices;
  ctx.dispatch(
    ctx.pipeline(shader(operandRounding(ctx.kernels.operands), convPrelude(geometry, batch), source), 'conv2d_backward_weight_per_tap'),
    [ctx.uniform(convUniform(batch, inC, outC, geometry, sliceK)), dy, x, out],
    groups1d(threads, THREADS_PER_WORKGROUP),
    `conv2d dw ${geometry.kH}x${geometry.kW}/${geometry.stride} ${inC}->${outC} ${geometry.inH}x${geometry.inW}` +
      (slices > 1 ? ` split ${slices}` : ''),
  );
}
