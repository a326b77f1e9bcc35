import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_weighted_sum.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** Grad-CAM's channel-weighted sum with ReLU: act [N, C, h, w], weights [N, C] -> raw [N, h, w]. */
export function camWeightedSum(ctx: GpuContext, act: Tensor, weights: Tensor): Tensor {
  const [n, c, h, w] = act.shape as [number, number, number, number];
  if (weights.size !== n * c) throw new Error(`camWeightedSum: weights [${weights.shape.join(',')}] for activations [${act.shape.join(',')}]`);
  const raw = ctx.empty([n, h, w], 'f32', 'cam raw');
  const tiles = Math.ceil((h * w) / 32);
  ctx.dispatch(ctx.pipeline(shader(source), 'cam_weighted_sum'), [ctx.uniform(params([n, c, h * w])), act, weights, raw], [n * tiles], `cam weighted sum ${c}x${h}x${w}`);
  return raw;
}
