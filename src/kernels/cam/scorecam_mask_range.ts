import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './scorecam_mask_range.wgsl?raw';
import upsample from './upsample_align_corners.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { params, shader } from '../wgsl.ts';

/** UpsamplingBilinear2d's scale for one axis: (in - 1) / (out - 1) rounded to f32, 0 for an output of one pixel. */
export function alignCornersScale(inSize: number, outSize: number): number {
  return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
}

/**
 * For each channel of act [N, C, h, w], the minimum and maximum of that channel upsampled (bilinear,
 * align_corners=True) to [H, W]: [N, C, 2].
 */
export function scorecamMaskRange(ctx: GpuContext, act: Tensor, [H, W]: readonly [number, number]): Tensor {
  const [n, c, h, w] = act.shape as [number, number, number, number];
  const planes = n * c;
  const range = ctx.empty([n, c, 2], 'f32', 'scorecam mask range');
  ctx.dispatch(
    ctx.pipeline(shader(workgroupReduce(ctx, H * W), upsample, source), 'scorecam_mask_range'),
    [ctx.uniform(params([planes, h, w, H, W], [alignCornersScale(h, H), alignCornersScale(w, W)])), act, range],
    [planes],
    `scorecam mask range ${c}x${h}x${w}->${H}x${W}`,
  );
  return range;
}
