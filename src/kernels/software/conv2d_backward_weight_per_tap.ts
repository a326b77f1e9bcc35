// Conv2d weight gradient without columns or a GEMM core, for adapters whose GEMMs run on the direct core (see
// conv2d_backward_weight_direct.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, lowersToColumns, type ConvShapeConstants } from '../conv/conv2d.ts';
import source from './conv2d_backward_weight_per_tap.wgsl?raw';
import { getGemmOperands, operandRounding, type GemmTiles } from '../gemm/tiles.ts';
import { groups1d, shader } from '../wgsl.ts';

/** Output channels and input channels per thread (one tap each). */
const CHANNELS_PER_THREAD = 8;
const THREADS_PER_WORKGROUP = 64;

/**
 * Whether this kernel can compute a weight gradient: a conv whose GEMM form reads explicit columns (on the direct
 * core: a window, or a stride; `lowersToColumns`), with input and output channels in multiples of 8. The stem's
 * 3 input channels do not fit: 5 of each thread's 8 would be idle.
 */
export function directWeightGradFits(tiles: GemmTiles, inC: number, outC: number, kH: number, kW: number, stride: number, pad: number): boolean {
  const channelsFit = inC % CHANNELS_PER_THREAD === 0 && outC % CHANNELS_PER_THREAD === 0;
  return lowersToColumns(tiles, kH, kW, pad, stride) && channelsFit;
}

/**
 * Whether this kernel computes the weight gradient instead of im2col and the GEMM: only where it fits and the
 * adapter's tuning chose it (`tuned`, conv_forms.ts). Against the GEMM form (bench/NOTES.md) it took 0.81-0.87
 * of its time on layer1's 3x3 on both CPU adapters, but from 0.86 to 1.16 on the others, by adapter and shape,
 * so no conv takes it by default.
 */
export function usesDirectWeightGrad(
  tiles: GemmTiles,
  inC: number,
  outC: number,
  kH: number,
  kW: number,
  stride: number,
  pad: number,
  tuned?: boolean,
): boolean {
  return directWeightGradFits(tiles, inC, outC, kH, kW, stride, pad) && tuned === true;
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
    ctx.pipeline(shader(operandRounding(getGemmOperands(ctx)), convPrelude(geometry, batch), source), 'conv2d_backward_weight_direct'),
    [ctx.uniform(convUniform(batch, inC, outC, geometry, sliceK)), dy, x, out],
    groups1d(threads, THREADS_PER_WORKGROUP),
    `conv2d dw ${geometry.kH}x${geometry.kW}/${geometry.stride} ${inC}->${outC} ${geometry.inH}x${geometry.inW}` +
      (slices > 1 ? ` split ${slices}` : ''),
  );
}
