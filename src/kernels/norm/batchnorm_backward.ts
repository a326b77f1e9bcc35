// Eval-mode batchnorm backward: dx through the per-channel scale (optionally behind a fused ReLU), and the
// parameter gradients dgamma = sum dy * xhat, dbeta = sum dy from channel_reduce.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './batchnorm_backward.wgsl?raw';
import reluGradSource from '../elementwise/relu_grad.wgsl?raw';
import { channelReduce } from '../reduce/channel_reduce.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';

function launch(ctx: GpuContext, dy: Tensor, scale: Tensor, variance: Tensor | null, reluOutput: Tensor | null, eps: number, guided = false): Tensor {
  const [, channels, h = 1, w = 1] = dy.shape as [number, number, number?, number?];
  if (reluOutput && reluOutput.size !== dy.size) throw new Error('batchnorm backward: the ReLU output and dy differ in size');
  const dx = ctx.empty(dy.shape, 'f32', 'batchnorm dx');
  const code = shader(constants({ FOLD: variance !== null, RELU_MASK: reluOutput !== null, GUIDED: guided }), reluGradSource, source);
  ctx.dispatch(
    ctx.pipeline(code, 'batchnorm_backward'),
    [ctx.uniform(params([dy.size, channels, h * w], [eps])), dy, scale, variance ?? ctx.dummy, reluOutput ?? ctx.dummy, dx],
    groups1d(dy.size, 256),
    'batchnorm dx',
  );
  return dx;
}

/**
 * dx = dy * scale[c], with scale the folded eval-mode gamma / sqrt(running_var + eps). With `reluOutput` (the
 * output y of a batchnorm + ReLU), dy is first masked by y > 0 (and with `guided` by dy > 0 too): the fused conv
 * epilogue's backward in one pass.
 */
export function batchnormScaleBackward(ctx: GpuContext, dy: Tensor, scale: Tensor, reluOutput?: Tensor, guided = false): Tensor {
  return launch(ctx, dy, scale, null, reluOutput ?? null, 0, guided);
}

/** Eval-mode batchnorm backward from the raw parameters: dx, dgamma = sum dy * xhat, dbeta = sum dy. */
export function batchnormEvalBackward(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  gamma: Tensor,
  mean: Tensor,
  variance: Tensor,
  eps = 1e-5,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const dx = launch(ctx, dy, gamma, variance, null, eps);
  const { sumDy, sumDyXhat } = channelReduce(ctx, dy, x, { mean, invstd: variance, variance: true, eps });
  return { dx, dgamma: sumDyXhat, dbeta: sumDy };
}
