import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_resize_bilinear.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { groups1d, params, shader } from '../wgsl.ts';

/** OpenCV INTER_LINEAR resize of each plane of x [N, h, w] to [N, H, W]. */
export function camResizeBilinear(ctx: GpuContext, x: Tensor, [H, W]: readonly [number, number]): Tensor {
  const [n, h, w] = x.shape as [number, number, number];
  const y = ctx.empty([n, H, W], 'f32', 'cam resize');
  const count = n * H * W;
  // OpenCV's scale is src / dst in double; the shader works in f32 from here.
  ctx.dispatch(
    ctx.pipeline(shader(source), 'cam_resize_bilinear'),
    [ctx.uniform(params([count, h, w, H, W], [h / H, w / W])), x, y],
    groups1d(count, ELEMENTWISE_WORKGROUP),
    `cam resize ${h}x${w}->${H}x${W}`,
  );
  return y;
}
