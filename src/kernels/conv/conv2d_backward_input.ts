// Conv2d input gradient (dL/dx from dL/dy), run as its plan (plan.ts) says: implicit GEMMs, one per stride
// phase (conv2d_backward_input.wgsl); a GEMM into columns and col2im (the stem, and windowed convs on the
// untiled core); or a window kernel (software/).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { splitKSnippet } from '../gemm/split_k.ts';
import { splitKReduce } from '../gemm/split_k_reduce.ts';
import { gemmCore, gemmGroups } from '../gemm/tiles.ts';
import { conv2dInputGradWindow } from '../software/conv2d_backward_input_window.ts';
import { constants, shader } from '../wgsl.ts';
import { col2im } from './col2im.ts';
import source from './conv2d_backward_input.wgsl?raw';
import { conv2dInputGradColumns } from './conv2d_backward_input_columns.ts';
import { convOutputSize, convPrelude, convUniform, stridePhases, type ConvGeometry, type StridePhase } from './geometry.ts';
import { planConv } from './plan.ts';

/** dx [N, C, H, W] of y = conv2d(x, w) given dy [N, CO, OH, OW] and w [CO, C, KH, KW]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geom: ConvGeometry,
  options: { /** K slices of the implicit GEMM at stride 1; 1 disables split-K. Default: the plan's. */ splitK?: number } = {},
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
  if (plan.form === 'window') return conv2dInputGradWindow(ctx, dy, w, inputShape, geometry, stridePhases(inH, inW, kH, kW, geom));
  if (plan.form === 'columns') {
    const cols = conv2dInputGradColumns(ctx, dy, w, batch, geometry, plan.gemm!.tiles);
    const dx = col2im(ctx, cols, inputShape, geometry);
    cols.release();
    return dx;
  }
  const prelude = convPrelude(geometry, batch);
  const label = `conv2d dx ${kH}x${kW}/${geom.stride} ${outC}->${inC} ${inH}x${inW}`;
  const pipeline = (tiles: Parameters<typeof gemmCore>[0], phase: StridePhase, slices: string) =>
    ctx.pipeline(shader(gemmCore(tiles), prelude, constants(phase), slices, source), 'conv2d_backward_input');
  if (plan.phases === undefined) {
    // Stride 1: one phase, the whole input, whose K split-K may slice.
    const [phase] = stridePhases(inH, inW, kH, kW, geom) as [StridePhase];
    const { tiles, m, n } = plan.gemm!;
    const sliced = plan.splits > 1;
    const out = sliced ? ctx.empty([plan.splits, ...inputShape], 'f32', 'conv2d dx slices') : ctx.empty(inputShape, 'f32', 'conv2d dx');
    ctx.dispatch(
      pipeline(tiles, phase, splitKSnippet(plan)),
      [ctx.uniform(convUniform(batch, inC, outC, geometry, plan.sliceK)), dy, w, out],
      gemmGroups(tiles, m, n, plan.splits),
      `${label}${sliced ? ` split ${plan.splits}` : ''}`,
    );
    if (!sliced) return out;
    const dx = splitKReduce(ctx, out, inputShape);
    out.release();
    return dx;
  }
  // Strided: one GEMM per stride phase, each writing its own pixels of dx.
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  for (const { phase, n, tiles } of plan.phases) {
    ctx.dispatch(
      pipeline(tiles, phase, splitKSnippet({ splits: 1, sliceK: 0 })),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, dx],
      gemmGroups(tiles, inC, n),
      `${label} phase ${phase.PHASE_Y},${phase.PHASE_X}`,
    );
  }
  return dx;
}
