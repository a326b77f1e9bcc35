import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './scorecam_masked_inputs.wgsl?raw';
import upsample from './upsample_align_corners.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { groups1d, params, shader } from '../wgsl.ts';
import { alignCornersScale } from './scorecam_mask_range.ts';

/**
 * ScoreCAM's batch of masked inputs for image `n` of input [N, 3, H, W]: one per channel c0 .. c0 + count - 1 of
 * act [N, C, h, w], the input times that channel upsampled and min-max scaled (`range` from scorecamMaskRange).
 * Returns [count, 3, H, W].
 */
export function scorecamMaskedInputs(ctx: GpuContext, input: Tensor, act: Tensor, range: Tensor, n: number, c0: number, count: number): Tensor {
  const [, , H, W] = input.shape as [number, number, number, number];
  const [batch, c, h, w] = act.shape as [number, number, number, number];
  if (n >= batch || c0 + count > c || count < 1) throw new Error(`scorecamMaskedInputs: channels ${c0}+${count} of image ${n} for activations [${act.shape.join(',')}]`);
  const masked = ctx.empty([count, 3, H, W], 'f32', 'scorecam masked inputs');
  const pixels = count * H * W;
  ctx.dispatch(
    ctx.pipeline(shader(upsample, source), 'scorecam_masked_inputs'),
    [ctx.uniform(params([pixels, n, c0, c, h, w, H, W], [alignCornersScale(h, H), alignCornersScale(w, W)])), act, range, input, masked],
    groups1d(pixels, ELEMENTWISE_WORKGROUP),
    `scorecam masked inputs ${count}x3x${H}x${W}`,
  );
  return masked;
}
