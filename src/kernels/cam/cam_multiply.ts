import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_multiply.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** x [N, C, H, W] * map [N, H, W] (broadcast over channels) -> [N, C, H, W]. */
export function camMultiply(ctx: GpuContext, x: Tensor, map: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (x.shape.length !== 4 || map.shape.join(',') !== [n, h, w].join(',')) {
    throw new Error(`camMultiply: x [${x.shape.join(',')}] and map [${map.shape.join(',')}] (want [N,C,H,W] and [N,H,W])`);
  }
  const y = ctx.empty(x.shape, 'f32', 'cam multiply');
  launchElementwise(ctx, shader(source), 'cam_multiply', x.size, [c, h * w], [x, map, y]);
  return y;
}
