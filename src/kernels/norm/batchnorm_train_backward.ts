// Train-mode batchnorm backward: the two per-channel sums (channel_reduce), then dx elementwise.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './batchnorm_train_backward.wgsl?raw';
import { channelReduce } from '../reduce/channel_reduce.ts';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

// The forward lives with its statistics kernel; re-exported so that the pair is imported from one place.
export { batchnormTrainForward, type BatchnormTrainOptions } from './batchnorm_train_stats.ts';

/** dx, dgamma = sum dy * xhat, dbeta = sum dy, from the batch mean and invstd saved by batchnormTrainForward. */
export function batchnormTrainBackward(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  gamma: Tensor,
  mean: Tensor,
  invstd: Tensor,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const [batch, channels, h = 1, w = 1] = dy.shape as [number, number, number?, number?];
  const { sumDy, sumDyXhat } = channelReduce(ctx, dy, x, { mean, invstd });
  const dx = ctx.empty(dy.shape, 'f32', 'batchnorm dx');
  launchElementwise(ctx, shader(source), 'batchnorm_train_backward', dy.size, [channels, h * w, batch * h * w], [
    dy,
    x,
    gamma,
    mean,
    invstd,
    sumDy,
    sumDyXhat,
    dx,
  ]);
  return { dx, dgamma: sumDyXhat, dbeta: sumDy };
}
