// Per-channel reductions of a gradient: dbeta/dgamma of batchnorm, the bias gradient of linear.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './channel_reduce.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { constants, params, shader } from '../wgsl.ts';

export interface ChannelStats {
  mean: Tensor;
  /** 1 / sqrt(var + eps) per channel; or, with `variance: true`, the variance itself. */
  invstd: Tensor;
  variance?: boolean;
  eps?: number;
}

/** The channel count and the (batch, area) that are summed over: NCHW, or [rows, features] as [rows, features, 1, 1]. */
function channelLayout(t: Tensor): [number, number, number] {
  const [batch, channels, h = 1, w = 1] = t.shape as [number, number, number?, number?];
  return [batch, channels, h * w];
}

/** sum of dy over (n, h, w) per channel -> [C]. */
export function channelSum(ctx: GpuContext, dy: Tensor): Tensor {
  const [batch, channels, area] = channelLayout(dy);
  const sum = ctx.empty([channels], 'f32', 'channel sum');
  // The x / mean / invstd bindings are not read in this variant; dy stands in (read-only, so no aliasing).
  ctx.dispatch(
    ctx.pipeline(shader(constants({ XHAT: false, VARIANCE: false }), workgroupReduce(ctx, batch * area), source), 'channel_reduce'),
    [ctx.uniform(params([batch, channels, area], [0])), dy, dy, dy, dy, sum, ctx.dummy],
    [channels],
    `channel sum ${channels}`,
  );
  return sum;
}

/** Per channel: sumDy = sum dy (dbeta) and sumDyXhat = sum dy * (x - mean) * invstd (dgamma). */
export function channelReduce(ctx: GpuContext, dy: Tensor, x: Tensor, stats: ChannelStats): { sumDy: Tensor; sumDyXhat: Tensor } {
  const [batch, channels, area] = channelLayout(dy);
  if (x.size !== dy.size) throw new Error(`channelReduce: dy [${dy.shape.join(',')}] and x [${x.shape.join(',')}] differ`);
  const sumDy = ctx.empty([channels], 'f32', 'channel sum dy');
  const sumDyXhat = ctx.empty([channels], 'f32', 'channel sum dy*xhat');
  ctx.dispatch(
    ctx.pipeline(shader(constants({ XHAT: true, VARIANCE: stats.variance === true }), workgroupReduce(ctx, batch * area), source), 'channel_reduce'),
    [ctx.uniform(params([batch, channels, area], [stats.eps ?? 0])), dy, x, stats.mean, stats.invstd, sumDy, sumDyXhat],
    [channels],
    `channel sums dy, dy*xhat ${channels}`,
  );
  return { sumDy, sumDyXhat };
}
