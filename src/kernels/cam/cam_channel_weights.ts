import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_channel_weights.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { constants, params, shader } from '../wgsl.ts';

/** Which weights (cam_channel_weights.wgsl): Grad-CAM++'s alpha-weighted positive gradients, or XGrad-CAM's. */
export type CamWeights = 'gradcam++' | 'xgradcam';

/** act and grad [N, C, h, w] -> weights [N, C]. */
export function camChannelWeights(ctx: GpuContext, act: Tensor, grad: Tensor, kind: CamWeights): Tensor {
  const [n, c, h, w] = act.shape as [number, number, number, number];
  if (act.shape.length !== 4 || act.shape.join(',') !== grad.shape.join(',')) {
    throw new Error(`CAM weights: activations [${act.shape.join(',')}] and gradient [${grad.shape.join(',')}] must be one NCHW shape`);
  }
  const weights = ctx.empty([n, c], 'f32', `${kind} weights`);
  ctx.dispatch(
    ctx.pipeline(shader(constants({ WEIGHTS: kind === 'gradcam++' ? 0 : 1 }), workgroupReduce(ctx, h * w), source), 'cam_channel_weights'),
    [ctx.uniform(params([n * c, h * w])), act, grad, weights],
    [n * c],
    `${kind} weights ${h}x${w}`,
  );
  return weights;
}
