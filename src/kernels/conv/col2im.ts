// Conv2d input gradient, second half of the columns form: each input pixel sums its taps' columns.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './col2im.wgsl?raw';
import { convPrelude, type ConvShapeConstants } from './geometry.ts';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** dx [N, CI, H, W] from cols [(ci, ky, kx), (b, oy, ox)] (conv2dInputGradColumns). */
export function col2im(ctx: GpuContext, cols: Tensor, inputShape: readonly [number, number, number, number], geometry: ConvShapeConstants): Tensor {
  const [batch, inC] = inputShape;
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  launchElementwise(ctx, shader(convPrelude(geometry, batch), source), 'col2im', dx.size, [batch, inC], [cols, dx]);
  return dx;
}
