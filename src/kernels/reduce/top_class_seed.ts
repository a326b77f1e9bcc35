// Wrapper of top_class_seed.wgsl: Grad-CAM's one-hot seed for each row's top class, made on the GPU.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './top_class_seed.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** logits [N, C] -> seed [N, C] (one-hot of each row's first largest logit) and targets [N] (those indices, f32). */
export function topClassSeed(ctx: GpuContext, logits: Tensor): { seed: Tensor; targets: Tensor } {
  if (logits.shape.length !== 2) throw new Error(`topClassSeed: logits [${logits.shape.join(',')}] are not [N, C]`);
  const [rows, classes] = logits.shape as [number, number];
  const seed = ctx.empty([rows, classes], 'f32', 'seed');
  const targets = ctx.empty([rows], 'f32', 'targets');
  ctx.dispatch(ctx.pipeline(shader(source), 'top_class_seed'), [ctx.uniform(params([rows, classes])), logits, seed, targets], [rows], `top class seed ${rows}x${classes}`);
  return { seed, targets };
}
