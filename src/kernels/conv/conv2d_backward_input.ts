// Conv2d input gradient (dL/dx from dL/dy), run as its plan (plan.ts) says: implicit GEMMs, one per stride
// phase (conv2d_backward_input.wgsl); a GEMM into columns and col2im (the stem, and windowed convs on the
// untiled core); or a window kernel (software/). Every form can fuse the first steps of the backward of the
// op before the conv into the store of dx (conv_input_grad_epilogue.wgsl), and its own output's batchnorm scale
// into the read of dy (the implicit GEMM; the other forms scale dy in a pass first).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { splitKSnippet } from '../gemm/split_k.ts';
import { gemmCore, gemmGroups } from '../gemm/tiles.ts';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { batchnormScaleBackward } from '../norm/batchnorm_backward.ts';
import { conv2dInputGradWindow } from '../software/conv2d_backward_input_window.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';
import { col2im } from './col2im.ts';
import source from './conv2d_backward_input.wgsl?raw';
import splitSumSource from './conv2d_backward_input_split_sum.wgsl?raw';
import { conv2dInputGradColumns } from './conv2d_backward_input_columns.ts';
import { inputGradEpilogueParts, type InputGradEpilogue } from './conv_input_grad_epilogue.ts';
import { convOutputSize, convPrelude, convUniform, stridePhases, type ConvGeometry, type StridePhase } from './geometry.ts';
import { planConv } from './plan.ts';

export type { InputGradEpilogue } from './conv_input_grad_epilogue.ts';

export interface InputGradOptions {
  /** K slices of the implicit GEMM at stride 1; 1 disables split-K. Default: the plan's. */
  splitK?: number;
  /** dy is taken times dyScale[co] per output channel (eval batchnorm's backward on the conv's output). */
  dyScale?: Tensor;
  /** What is done to each dx value as it is stored (add, ReLU mask, per-channel scale). */
  epilogue?: InputGradEpilogue;
}

/** dx [N, C, H, W] of y = conv2d(x, w) given dy [N, CO, OH, OW] and w [CO, C, KH, KW]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geom: ConvGeometry,
  options: InputGradOptions = {},
): Tensor {
  const [batch, inC, inH, inW] = inputShape;
  const [outC, wInC, kH, kW] = w.shape as [number, number, number, number];
  const [dyN, dyC, outH, outW] = dy.shape as [number, number, number, number];
  if (wInC !== inC || dyC !== outC || dyN !== batch) {
    throw new Error(`conv2dBackwardInput: dy [${dy.shape.join(',')}], w [${w.shape.join(',')}] and input [${inputShape.join(',')}] disagree`);
  }
  if (outH !== convOutputSize(inH, kH, geom.stride, geom.pad) || outW !== convOutputSize(inW, kW, geom.stride, geom.pad)) {
    throw new Error(`conv2dBackwardInput: dy is ${outH}x${outW}, the forward of a ${inH}x${inW} input gives another size`);
  }
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const plan = planConv(ctx.kernels, { batch, inC, outC, inH, inW, kH, kW, ...geom }, 'inputGrad', options.splitK);
  const epilogue = options.epilogue ?? {};
  const dyScale = options.dyScale;
  if (dyScale && dyScale.size !== outC) throw new Error(`conv2dBackwardInput: ${dyScale.size} dy scales for ${outC} output channels`);
  if (plan.form !== 'implicit' && dyScale) {
    // Only the implicit GEMM scales dy as it reads it; the other forms read a scaled copy.
    const scaled = batchnormScaleBackward(ctx, dy, dyScale);
    const dx = conv2dBackwardInput(ctx, scaled, w, inputShape, geom, { ...options, dyScale: undefined });
    scaled.release();
    return dx;
  }
  if (plan.form === 'window') return conv2dInputGradWindow(ctx, dy, w, inputShape, geometry, stridePhases(inH, inW, kH, kW, geom), epilogue);
  if (plan.form === 'columns') {
    const cols = conv2dInputGradColumns(ctx, dy, w, batch, geometry, plan.gemm!.tiles);
    const dx = col2im(ctx, cols, inputShape, geometry, epilogue);
    cols.release();
    return dx;
  }
  const prelude = convPrelude(geometry, batch);
  const fused = inputGradEpilogueParts(ctx, epilogue, inputShape);
  const label = `conv2d dx ${kH}x${kW}/${geom.stride} ${outC}->${inC} ${inH}x${inW}`;
  const pipeline = (tiles: Parameters<typeof gemmCore>[0], phase: StridePhase, slices: string, epilogueCode: string) =>
    ctx.pipeline(shader(gemmCore(tiles), prelude, constants({ ...phase, DY_SCALE: dyScale !== undefined }), slices, epilogueCode, source), 'conv2d_backward_input');
  const operands = [dy, w] as const;
  const scaleBinding = dyScale ?? ctx.dummy;
  if (plan.phases === undefined) {
    // Stride 1: one phase, the whole input, whose K split-K may slice.
    const [phase] = stridePhases(inH, inW, kH, kW, geom) as [StridePhase];
    const { tiles, m, n } = plan.gemm!;
    const sliced = plan.splits > 1;
    const out = sliced ? ctx.empty([plan.splits, ...inputShape], 'f32', 'conv2d dx slices') : ctx.empty(inputShape, 'f32', 'conv2d dx');
    // Sliced, the GEMM stores raw partial sums and the epilogue runs in their sum.
    const gemmEpilogue = sliced ? inputGradEpilogueParts(ctx, {}, inputShape) : fused;
    ctx.dispatch(
      pipeline(tiles, phase, splitKSnippet(plan), gemmEpilogue.code),
      [ctx.uniform(convUniform(batch, inC, outC, geometry, plan.sliceK)), ...operands, out, ...gemmEpilogue.bindings, scaleBinding],
      gemmGroups(tiles, m, n, plan.splits),
      `${label}${sliced ? ` split ${plan.splits}` : ''}`,
    );
    if (!sliced) return out;
    const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
    ctx.dispatch(
      ctx.pipeline(shader(fused.code, splitSumSource), 'conv2d_backward_input_split_sum'),
      [ctx.uniform(params([dx.size, plan.splits, inC, inH * inW])), out, null, dx, ...fused.bindings],
      groups1d(dx.size, ELEMENTWISE_WORKGROUP),
      `conv2d dx split-k sum ${plan.splits}x${inC}x${inH}x${inW}`,
    );
    out.release();
    return dx;
  }
  // Strided: one GEMM per stride phase, each writing its own pixels of dx.
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  for (const { phase, n, tiles } of plan.phases) {
    ctx.dispatch(
      pipeline(tiles, phase, splitKSnippet({ splits: 1, sliceK: 0 }), fused.code),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), ...operands, dx, ...fused.bindings, scaleBinding],
      gemmGroups(tiles, inC, n),
      `${label} phase ${phase.PHASE_Y},${phase.PHASE_X}`,
    );
  }
  return dx;
}
