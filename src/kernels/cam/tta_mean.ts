import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './tta_mean.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';

export interface TtaMeanStep {
  /** The run was mirrored (its map is mirrored back). */
  flip: boolean;
  /** Index of the run, from 0, and how many runs there are. */
  run: number;
  runs: number;
}

/**
 * Add run `step.run`'s map [N, H, W], de-augmented, into `sum` (written on the first run, divided by the number of
 * runs on the last): after the last run `sum` holds the mean.
 */
export function ttaMeanAdd(ctx: GpuContext, map: Tensor, sum: Tensor, step: TtaMeanStep): void {
  if (map.shape.length !== 3 || map.shape.join(',') !== sum.shape.join(',')) {
    throw new Error(`ttaMeanAdd: map [${map.shape.join(',')}] and sum [${sum.shape.join(',')}]`);
  }
  const first = step.run === 0;
  const last = step.run === step.runs - 1;
  ctx.dispatch(
    ctx.pipeline(shader(constants({ FLIP: step.flip, FIRST: first, LAST: last }), source), 'tta_mean'),
    [ctx.uniform(params([map.size, map.shape[2]!, 0, 0], [step.runs])), map, sum],
    groups1d(map.size, ELEMENTWISE_WORKGROUP),
    `tta mean ${step.run + 1}/${step.runs}`,
  );
}
