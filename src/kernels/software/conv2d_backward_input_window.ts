// Conv2d input gradient without a GEMM, for CPU adapters (see conv2d_backward_input_window.wgsl): the plan
// (conv/plan.ts) sends a windowed conv here on the untiled GEMM core, by the config's window rule.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvShapeConstants, type StridePhase } from '../conv/geometry.ts';
import { inputGradEpilogueParts, type InputGradEpilogue } from '../conv/conv_input_grad_epilogue.ts';
import source from './conv2d_backward_input_window.wgsl?raw';
import { operandRounding } from '../gemm/tiles.ts';
import rowWindow from './row_window.wgsl?raw';
import { constants, groups1d, shader } from '../wgsl.ts';

const THREADS_PER_WORKGROUP = 64;
/** Neighbouring phase pixels per thread; the kernel's window of dy holds these plus up to 3 more taps. */
const PIXELS_PER_THREAD = 8;
/** Input channels per group; a thread takes two groups when the channels allow (a multiple of 8). */
const GROUP_CHANNELS = 4;
/** Taps per stride phase along x: the kernel's window of dy covers at most 4. */
const MAX_TAPS_X = 4;

/**
 * Whether this kernel can compute an input gradient: 1 to 4 taps along x in every stride phase (a kernel wider
 * than its stride, with ceil(kW / stride) <= 4), and input channels that fill their groups of 4 (or all fit in
 * one).
 */
export function windowInputGradFits(c: { inC: number; kW: number; stride: number }): boolean {
  const channelsFit = c.inC <= GROUP_CHANNELS || c.inC % GROUP_CHANNELS === 0;
  return channelsFit && c.kW > c.stride && Math.ceil(c.kW / c.stride) <= MAX_TAPS_X;
}

/**
 * dx [N, C, H, W] given dy [N, CO, OH, OW] and w [CO, C, KH, KW], one dispatch per non-empty stride phase,
 * through `epilogue`.
 */
export function conv2dInputGradWindow(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geometry: ConvShapeConstants,
  phases: readonly StridePhase[],
  epilogue: InputGradEpilogue = {},
): Tensor {
  const [batch, inC] = inputShape;
  const outC = w.shape[0]!;
  const fused = inputGradEpilogueParts(ctx, epilogue, inputShape);
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  // Two groups of 4 channels per thread where they fit: every window of dy then serves 8 channels.
  const channelGroups = inC % (2 * GROUP_CHANNELS) === 0 ? 2 : 1;
  const channels = constants({ IN_CHANNELS: inC, CHANNEL_GROUPS: channelGroups });
  const rounding = operandRounding(ctx.kernels.operands);
  const prelude = convPrelude(geometry, batch);
  const channelBlocks = Math.ceil(inC / (Math.min(inC, GROUP_CHANNELS) * channelGroups));
  for (const phase of phases) {
    if (phase.PHASE_H === 0 || phase.PHASE_W === 0) continue; // an input smaller than the stride
    const threads = batch * phase.PHASE_H * channelBlocks * Math.ceil(phase.PHASE_W / PIXELS_PER_THREAD);
    ctx.dispatch(
      ctx.pipeline(shader(channels, rounding, prelude, constants(phase), rowWindow, fused.code, source), 'conv2d_backward_input_window'),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, dx, ...fused.bindings],
      groups1d(threads, THREADS_PER_WORKGROUP),
      `conv2d dx ${geometry.kH}x${geometry.kW}/${geometry.stride} ${outC}->${inC} ${geometry.inH}x${geometry.inW}` +
        (geometry.stride > 1 ? ` phase ${phase.PHASE_Y},${phase.PHASE_X}` : ''),
    );
  }
  return dx;
}
