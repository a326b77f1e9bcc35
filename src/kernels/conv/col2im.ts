// Conv2d input gradient, second half of the columns form: each input pixel sums its taps' columns.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './col2im.wgsl?raw';
import { convPrelude, type ConvShapeConstants } from './geometry.ts';
import { inputGradEpilogueParts, type InputGradEpilogue } from './conv_input_grad_epilogue.ts';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** dx [N, CI, H, W] from cols [(ci, ky, kx), (b, oy, ox)] (conv2dInputGradColumns), through `epilogue`. */
export function col2im(
  ctx: GpuContext,
  cols: Tensor,
  inputShape: readonly [number, number, number, number],
  geometry: ConvShapeConstants,
  epilogue: InputGradEpilogue = {},
): Tensor {
  const [batch, inC] = inputShape;
  const fused = inputGradEpilogueParts(ctx, epilogue, inputShape);
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  launchElementwise(ctx, shader(convPrelude(geometry, batch), fused.code, source), 'col2im', dx.size, [batch, inC], [cols, null, dx, ...fused.bindings]);
  return dx;
}
