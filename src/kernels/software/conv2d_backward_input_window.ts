// Conv2d input gradient without a GEMM, for adapters whose GEMMs run on the direct core (see
// conv2d_backward_input_direct.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvShapeConstants } from '../conv/conv2d.ts';
import type { StridePhase } from '../conv/conv2d_backward_input.ts';
import source from './conv2d_backward_input_window.wgsl?raw';
import { getGemmOperands, operandRounding, type GemmTiles } from '../gemm/tiles.ts';
import rowWindow from './row_window.wgsl?raw';
import { constants, groups1d, shader } from '../wgsl.ts';

const THREADS_PER_WORKGROUP = 64;
/** Neighbouring phase pixels per thread; the kernel's window of dy holds these plus up to 3 more taps. */
const PIXELS_PER_THREAD = 8;
/** Input channels per group; a thread takes two groups when the channels allow (a multiple of 8). */
const GROUP_CHANNELS = 4;
/** Taps per stride phase along x: the kernel's window of dy covers at most 4. */
const MAX_TAPS_X = 4;
/** Taps per phase along x below which a window serves too few taps to beat the columns GEMM by default. */
const DEFAULT_MIN_TAPS_X = 3;

/**
 * Whether this kernel can compute an input gradient: GEMMs on the direct core, 1 to 4 taps along x in every
 * stride phase (a kernel wider than its stride, with ceil(kW / stride) <= 4), and input channels that fill their
 * groups of 4 (or all fit in one). The tiled cores keep their GEMMs, which a GPU was tuned on.
 */
export function directInputGradFits(tiles: GemmTiles, inC: number, kW: number, stride: number): boolean {
  const channelsFit = inC <= GROUP_CHANNELS || inC % GROUP_CHANNELS === 0;
  return tiles.core === 'direct' && channelsFit && kW > stride && Math.ceil(kW / stride) <= MAX_TAPS_X;
}

/**
 * Whether this kernel computes the input gradient: where it fits, as `tuned` says (the adapter's measured
 * choice, conv_forms.ts), or else when every window of dy serves 3-4 taps (the stem's 7 at stride 2 has phases
 * of 4 and 3, a 3x3 at stride 1 has 3). By default the 3x3s at stride 2, whose phases have 1 or 2 taps, keep
 * the columns GEMM and col2im: direct, layer2's ran 1.2x slower in Chromium's SwiftShader, and they ranged from
 * 10% faster to 15% slower on lavapipe (bench/NOTES.md).
 */
export function usesDirectInputGrad(tiles: GemmTiles, inC: number, kW: number, stride: number, tuned?: boolean): boolean {
  return directInputGradFits(tiles, inC, kW, stride) && (tuned ?? Math.floor(kW / stride) >= DEFAULT_MIN_TAPS_X);
}

/** dx [N, C, H, W] given dy [N, CO, OH, OW] and w [CO, C, KH, KW], one dispatch per non-empty stride phase. */
export function conv2dInputGradDirect(
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
  // Two groups of 4 channels per thread where they fit: every window of dy then serves 8 channels (even on
  // lavapipe and up to 1.5x faster on SwiftShader in Node, against one group, for the stride-1 3x3s).
  const channelGroups = inC % (2 * GROUP_CHANNELS) === 0 ? 2 : 1;
  const channels = constants({ IN_CHANNELS: inC, CHANNEL_GROUPS: channelGroups });
  const rounding = operandRounding(getGemmOperands(ctx));
  const prelude = convPrelude(geometry, batch);
  const channelBlocks = Math.ceil(inC / (Math.min(inC, GROUP_CHANNELS) * channelGroups));
  for (const phase of phases) {
    if (phase.PHASE_H === 0 || phase.PHASE_W === 0) continue; // an input smaller than the stride
    const threads = batch * phase.PHASE_H * channelBlocks * Math.ceil(phase.PHASE_W / PIXELS_PER_THREAD);
    ctx.dispatch(
      ctx.pipeline(shader(channels, rounding, prelude, constants(phase), rowWindow, source), 'conv2d_backward_input_direct'),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, dx],
      groups1d(threads, THREADS_PER_WORKGROUP),
      `conv2d dx ${geometry.kH}x${geometry.kW}/${geometry.stride} ${outC}->${inC} ${geometry.inH}x${geometry.inW}` +
        (geometry.stride > 1 ? ` phase ${phase.PHASE_Y},${phase.PHASE_X}` : ''),
    );
  }
  return dx;
}
