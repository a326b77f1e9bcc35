import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './ablation_weights.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { groups1d, params, shader } from '../wgsl.ts';

/** AblationCAM's weights [N, C]: (y - scores) / y, y = logits[n, targets[n]] (targets: u32 [N]). */
export function ablationWeights(ctx: GpuContext, logits: Tensor, targets: Tensor, scores: Tensor): Tensor {
  const [n, channels] = scores.shape as [number, number];
  const classes = logits.shape[1]!;
  const weights = ctx.empty([n, channels], 'f32', 'ablation weights');
  const count = n * channels;
  ctx.dispatch(
    ctx.pipeline(shader(source), 'ablation_weights'),
    [ctx.uniform(params([count, channels, classes])), logits, targets, scores, weights],
    groups1d(count, ELEMENTWISE_WORKGROUP),
    `ablation weights ${count}`,
  );
  return weights;
}
