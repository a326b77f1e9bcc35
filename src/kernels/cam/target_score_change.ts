import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './target_score_change.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** before, after: logits [N, classes]; targets: u32 [N] -> [N]: after[n, t_n] - before[n, t_n]. */
export function targetScoreChange(ctx: GpuContext, before: Tensor, after: Tensor, targets: Tensor): Tensor {
  const [n, classes] = before.shape as [number, number];
  if (before.shape.length !== 2 || after.shape.join(',') !== before.shape.join(',') || targets.size !== n || targets.dtype !== 'u32') {
    throw new Error(`targetScoreChange: logits [${before.shape.join(',')}] and [${after.shape.join(',')}], targets [${targets.shape.join(',')}] ${targets.dtype}`);
  }
  const change = ctx.empty([n], 'f32', 'target score change');
  launchElementwise(ctx, shader(source), 'target_score_change', n, [classes], [before, after, targets, change]);
  return change;
}
