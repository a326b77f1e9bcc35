import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import blend from './cam_blend.wgsl?raw';
import source from './cam_overlay.wgsl?raw';
import { camOverlayMax, overlayUniforms, type OverlayInputs } from './cam_overlay_max.ts';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { groups1d, shader } from '../wgsl.ts';

export type { OverlayInputs } from './cam_overlay_max.ts';

/**
 * show_cam_on_image on the GPU: map [N, H, W], image = the [N, H, W, 3] uint8 bytes packed into u32s,
 * levels = f32 [1024]: LUT / 255 (768 RGB entries) then b / 255 for b = 0..255.
 * Returns the [N, H, W, 3] uint8 overlay packed into ceil(N*H*W*3 / 4) u32s.
 */
export function camOverlay(ctx: GpuContext, inputs: OverlayInputs): Tensor {
  const [n, h, w] = inputs.map.shape as [number, number, number];
  const words = Math.ceil((n * h * w * 3) / 4);
  const camMax = camOverlayMax(ctx, inputs);
  const out = ctx.empty([words], 'u32', 'overlay');
  ctx.dispatch(
    ctx.pipeline(shader(blend, source), 'cam_overlay'),
    [overlayUniforms(ctx, inputs), inputs.map, inputs.image, inputs.levels, camMax, out],
    groups1d(words, ELEMENTWISE_WORKGROUP),
    `overlay ${h}x${w}`,
  );
  camMax.release();
  return out;
}
