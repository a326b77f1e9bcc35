import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './global_avgpool.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { params, shader } from '../wgsl.ts';

/** [N, C, H, W] -> [N, C] (torch's adaptive_avg_pool2d to 1x1 followed by flatten). */
export function globalAvgPool(ctx: GpuContext, x: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const y = ctx.empty([n, c], 'f32', 'avgpool');
  ctx.dispatch(ctx.pipeline(shader(workgroupReduce(ctx, h * w), source), 'global_avgpool'), [ctx.uniform(params([n * c, h * w])), x, y], [n * c], `avgpool ${h}x${w}`);
  return y;
}
