import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './softmax.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** Softmax over the last axis of [rows, classes]. */
export function softmax(ctx: GpuContext, x: Tensor): Tensor {
  const [rows, classes] = x.shape as [number, number];
  const y = ctx.empty(x.shape, 'f32', 'softmax');
  ctx.dispatch(ctx.pipeline(shader(source), 'softmax'), [ctx.uniform(params([rows, classes])), x, y], [rows], 'softmax');
  return y;
}
