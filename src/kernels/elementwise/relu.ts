import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './relu.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

export function relu(ctx: GpuContext, x: Tensor): Tensor {
  const y = ctx.empty(x.shape, 'f32', 'relu');
  launchElementwise(ctx, shader(source), 'relu', x.size, [], [x, y]);
  return y;
}
