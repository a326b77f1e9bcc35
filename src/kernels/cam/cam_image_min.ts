import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_image_min.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { params, shader } from '../wgsl.ts';

/** The minimum of each image of x [N, ...] -> [N]. */
export function camImageMin(ctx: GpuContext, x: Tensor): Tensor {
  const n = x.shape[0]!;
  const area = x.size / n;
  const minimum = ctx.empty([n], 'f32', 'cam image min');
  ctx.dispatch(ctx.pipeline(shader(workgroupReduce(ctx, area), source), 'cam_image_min'), [ctx.uniform(params([n, area])), x, minimum], [n], `cam image min ${area}`);
  return minimum;
}
