import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_target_scores.wgsl?raw';
import { groups1d, params, shader } from '../wgsl.ts';

/** scores[offset + b] = logits[b, target] for each row b of logits [B, classes] (scores is written in place). */
export function camTargetScores(ctx: GpuContext, logits: Tensor, target: number, scores: Tensor, offset: number): void {
  const [rows, classes] = logits.shape as [number, number];
  if (target >= classes || offset + rows > scores.size) throw new Error(`camTargetScores: ${rows} scores at ${offset} of ${scores.size}, target ${target}`);
  ctx.dispatch(ctx.pipeline(shader(source), 'cam_target_scores'), [ctx.uniform(params([rows, classes, target, offset])), logits, scores], groups1d(rows, 64), `cam target scores ${rows}`);
}
