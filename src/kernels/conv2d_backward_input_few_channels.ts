// Conv2d input gradient for convs with at most 4 input channels, on adapters whose GEMMs run on the direct core
// (see conv2d_backward_input_few_channels.wgsl).
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvShapeConstants } from './conv2d.ts';
import type { StridePhase } from './conv2d_backward_input.ts';
import source from './conv2d_backward_input_few_channels.wgsl?raw';
import { getGemmOperands, operandRounding, type GemmTiles } from './gemm_config.ts';
import { constants, groups1d, shader } from './wgsl.ts';

const THREADS_PER_WORKGROUP = 64;
/** Neighbouring phase pixels per thread; the kernel's window of dy holds these plus up to 3 more taps. */
const PIXELS_PER_THREAD = 8;
export const MAX_FEW_CHANNELS = 4;
const MAX_TAPS_X = 4;

/**
 * Whether this kernel computes the input gradient: at most 4 input channels, at most 4 taps per stride phase
 * along x (the stem: 7 / 2 -> 4), and GEMMs on the direct core. The tiled cores keep the columns GEMM, which
 * is what a GPU was tuned on; this kernel has been measured on CPU adapters only (bench/NOTES.md).
 */
export function usesFewChannelsKernel(tiles: GemmTiles, inC: number, kW: number, stride: number): boolean {
  return tiles.core === 'direct' && inC <= MAX_FEW_CHANNELS && Math.ceil(kW / stride) <= MAX_TAPS_X;
}

/** dx [N, C, H, W] given dy [N, CO, OH, OW] and w [CO, C, KH, KW], one dispatch per non-empty stride phase. */
export function conv2dInputGradFewChannels(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geometry: ConvShapeConstants,
  phases: readonly StridePhase[],
): Tensor {
  const [batch, inC] = inputShape;
  const outC = w.shape[0]!;
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  const channels = constants({ IN_CHANNELS: inC });
  const rounding = operandRounding(getGemmOperands(ctx));
  const prelude = convPrelude(geometry, batch);
  for (const phase of phases) {
    if (phase.PHASE_H === 0 || phase.PHASE_W === 0) continue; // an input smaller than the stride
    const threads = batch * phase.PHASE_H * Math.ceil(phase.PHASE_W / PIXELS_PER_THREAD);
    ctx.dispatch(
      ctx.pipeline(shader(channels, rounding, prelude, constants(phase), source), 'conv2d_backward_input_few_channels'),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, dx],
      groups1d(threads, THREADS_PER_WORKGROUP),
      `conv2d dx ${geometry.kH}x${geometry.kW}/${geometry.stride} ${outC}->${inC} ${geometry.inH}x${geometry.inW}` +
        (geometry.stride > 1 ? ` phase ${phase.PHASE_Y},${phase.PHASE_X}` : ''),
    );
  }
  return dx;
}
