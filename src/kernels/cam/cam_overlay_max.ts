import type { GpuContext } from '../../gpu/context.ts';
import type { UniformSlot } from '../../gpu/uniform_arena.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import blend from './cam_blend.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import source from './cam_overlay_max.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** The bindings of cam_blend.wgsl: map [N, H, W], packed image bytes, levels (see camOverlay). */
export interface OverlayInputs {
  map: Tensor;
  image: Tensor;
  levels: Tensor;
  heatWeight: number;
  imageWeight: number;
}

export function overlayUniforms(ctx: GpuContext, { map, heatWeight, imageWeight }: OverlayInputs): UniformSlot {
  const [n, h, w] = map.shape as [number, number, number];
  return ctx.uniform(params([n, h * w], [heatWeight, imageWeight]));
}

/** Per image, the maximum of the blended overlay before its normalisation -> [N]. */
export function camOverlayMax(ctx: GpuContext, inputs: OverlayInputs): Tensor {
  const n = inputs.map.shape[0]!;
  const camMax = ctx.empty([n], 'f32', 'overlay max');
  ctx.dispatch(
    ctx.pipeline(shader(workgroupReduce(ctx, 3 * inputs.map.size / n), blend, source), 'cam_overlay_max'),
    [overlayUniforms(ctx, inputs), inputs.map, inputs.image, inputs.levels, camMax],
    [n],
    'overlay max',
  );
  return camMax;
}
