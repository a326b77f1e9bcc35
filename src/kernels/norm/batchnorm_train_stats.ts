// Train-mode batchnorm forward: batch statistics (and the running-statistics update) in one kernel, then the
// normalisation through the eval-mode affine kernel with the batch's scale and shift.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { batchnormEval } from './batchnorm.ts';
import source from './batchnorm_train_stats.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { params, shader } from '../wgsl.ts';

export interface BatchnormTrainOptions {
  momentum: number;
  eps: number;
}

export interface BatchnormTrainStats {
  mean: Tensor;
  invstd: Tensor;
  scale: Tensor;
  shift: Tensor;
}

/** Per-channel batch mean, 1/sqrt(biased var + eps) and the affine fold; updates the running statistics in place. */
export function batchnormTrainStats(
  ctx: GpuContext,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  { momentum, eps }: BatchnormTrainOptions,
): BatchnormTrainStats {
  const [batch, channels, h = 1, w = 1] = x.shape as [number, number, number?, number?];
  // As PyTorch: the unbiased variance of one value is undefined.
  if (batch * h * w < 2) throw new Error(`batchnorm (train): expected more than 1 value per channel, got input [${x.shape.join(',')}]`);
  const stats = ctx.empty([4, channels], 'f32', 'batchnorm stats');
  ctx.dispatch(
    ctx.pipeline(shader(workgroupReduce(ctx, batch * h * w), source), 'batchnorm_train_stats'),
    [ctx.uniform(params([batch, channels, h * w], [momentum, eps])), x, gamma, beta, runningMean, runningVar, stats],
    [channels],
    `batchnorm stats ${channels}`,
  );
  // Split the [4, C] block into the tensors callers keep separately (copies of C floats each).
  const rows = ['mean', 'invstd', 'scale', 'shift'].map((label, r) => {
    const t = ctx.empty([channels], 'f32', `batchnorm ${label}`);
    ctx.commandEncoder().copyBufferToBuffer(stats.buffer, r * channels * 4, t.buffer, 0, channels * 4);
    return t;
  });
  stats.release();
  const [mean, invstd, scale, shift] = rows as [Tensor, Tensor, Tensor, Tensor];
  return { mean, invstd, scale, shift };
}

/** y = (x - batch mean) * invstd * gamma + beta, plus the running-statistics update (momentum, unbiased var). */
export function batchnormTrainForward(
  ctx: GpuContext,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  options: BatchnormTrainOptions,
): { y: Tensor; mean: Tensor; invstd: Tensor } {
  const { mean, invstd, scale, shift } = batchnormTrainStats(ctx, x, gamma, beta, runningMean, runningVar, options);
  const y = batchnormEval(ctx, x, scale, shift);
  scale.release();
  shift.release();
  return { y, mean, invstd };
}
