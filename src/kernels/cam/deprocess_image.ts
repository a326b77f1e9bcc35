// pytorch-grad-cam's deprocess_image (utils/image.py) on the GPU: normalise each image by its mean and standard
// deviation, scale to 0.1 around 0.5, clip, to uint8, channels last. Used for guided backprop and Guided
// Grad-CAM pictures.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import statsSource from './deprocess_stats.wgsl?raw';
import source from './deprocess_image.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { groups1d, params, shader } from '../wgsl.ts';

/** x [N, C, H, W] float -> the [N, H, W, C] uint8 pictures, read back. */
export async function deprocessImage(ctx: GpuContext, x: Tensor): Promise<Uint8Array> {
  if (x.shape.length !== 4) throw new Error(`deprocessImage: x [${x.shape.join(',')}] is not NCHW`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const size = c * h * w;
  const stats = ctx.empty([n, 2], 'f32', 'deprocess stats');
  ctx.dispatch(
    ctx.pipeline(shader(workgroupReduce(ctx, size), statsSource), 'deprocess_stats'),
    [ctx.uniform(params([n, size])), x, stats],
    [n],
    `deprocess stats ${size}`,
  );
  const bytes = n * size;
  const words = Math.ceil(bytes / 4);
  const out = ctx.empty([words], 'u32', 'deprocess bytes');
  ctx.dispatch(ctx.pipeline(shader(source), 'deprocess_image'), [ctx.uniform(params([n, c, h * w])), x, stats, out], groups1d(words, 256), 'deprocess image');
  try {
    return new Uint8Array(await ctx.readBytes(out.buffer, bytes));
  } finally {
    out.release();
    stats.release();
  }
}
