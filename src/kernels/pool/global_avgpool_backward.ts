import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './global_avgpool_backward.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** dy [N, C] -> dx [N, C, H, W], each plane filled with dy / (H*W). */
export function globalAvgPoolBackward(ctx: GpuContext, dy: Tensor, inputShape: readonly [number, number, number, number]): Tensor {
  const [n, c, h, w] = inputShape;
  if (dy.size !== n * c) throw new Error(`globalAvgPoolBackward: dy [${dy.shape.join(',')}] for input [${inputShape.join(',')}]`);
  const dx = ctx.empty(inputShape, 'f32', 'avgpool dx');
  launchElementwise(ctx, shader(source), 'global_avgpool_backward', dx.size, [h * w], [dy, dx]);
  return dx;
}
