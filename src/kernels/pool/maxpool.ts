import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convOutputSize } from '../conv/geometry.ts';
import source from './maxpool.wgsl?raw';
import { groups1d, params, shader } from '../wgsl.ts';

export interface PoolGeometry {
  kernel: number;
  stride: number;
  pad: number;
}

export const RESNET_MAXPOOL: PoolGeometry = { kernel: 3, stride: 2, pad: 1 };

/** Returns the pooled tensor and, per output element, the index of its maximum within the input plane. */
export function maxPool(ctx: GpuContext, x: Tensor, geom: PoolGeometry = RESNET_MAXPOOL): { y: Tensor; argmax: Tensor } {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const outH = convOutputSize(h, geom.kernel, geom.stride, geom.pad);
  const outW = convOutputSize(w, geom.kernel, geom.stride, geom.pad);
  const y = ctx.empty([n, c, outH, outW], 'f32', 'maxpool');
  const argmax = ctx.empty([n, c, outH, outW], 'u32', 'maxpool argmax');
  ctx.dispatch(
    ctx.pipeline(shader(source), 'maxpool'),
    [ctx.uniform(params([n * c, h, w, outH, outW, geom.kernel, geom.stride, geom.pad])), x, y, argmax],
    groups1d(y.size, 256),
    `maxpool ${h}x${w}`,
  );
  return { y, argmax };
}
