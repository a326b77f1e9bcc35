import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convOutputSize } from '../conv/geometry.ts';
import { RESNET_MAXPOOL, type PoolGeometry } from './maxpool.ts';
import source from './maxpool_backward.wgsl?raw';
import { groups1d, params, shader } from '../wgsl.ts';

/** dx [N, C, H, W] from dy and the argmax (index within the input plane) written by maxPool. */
export function maxPoolBackward(
  ctx: GpuContext,
  dy: Tensor,
  argmax: Tensor,
  inputShape: readonly [number, number, number, number],
  geom: PoolGeometry = RESNET_MAXPOOL,
): Tensor {
  const [n, c, h, w] = inputShape;
  const outH = convOutputSize(h, geom.kernel, geom.stride, geom.pad);
  const outW = convOutputSize(w, geom.kernel, geom.stride, geom.pad);
  if (dy.size !== n * c * outH * outW || argmax.size !== dy.size) {
    throw new Error(`maxPoolBackward: dy [${dy.shape.join(',')}] / argmax [${argmax.shape.join(',')}] do not pool [${inputShape.join(',')}]`);
  }
  const dx = ctx.empty(inputShape, 'f32', 'maxpool dx');
  ctx.dispatch(
    ctx.pipeline(shader(source), 'maxpool_backward'),
    [ctx.uniform(params([n * c, h, w, outH, outW, geom.kernel, geom.stride, geom.pad])), dy, argmax, dx],
    groups1d(dx.size, 256),
    `maxpool dx ${h}x${w}`,
  );
  return dx;
}
