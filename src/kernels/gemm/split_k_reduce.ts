import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { launchElementwise } from '../launch.ts';
import source from './split_k_reduce.wgsl?raw';
import { shader } from '../wgsl.ts';

/** partial [splits, ...shape] -> its sum over the first axis, with the given shape. */
export function splitKReduce(ctx: GpuContext, partial: Tensor, shape: readonly number[]): Tensor {
  const splits = partial.shape[0]!;
  const y = ctx.empty(shape, 'f32', 'split-k sum');
  if (partial.size !== splits * y.size) throw new Error(`splitKReduce: [${partial.shape.join(',')}] is not ${splits} slices of [${shape.join(',')}]`);
  launchElementwise(ctx, shader(source), 'split_k_reduce', y.size, [splits], [partial, y]);
  return y;
}
