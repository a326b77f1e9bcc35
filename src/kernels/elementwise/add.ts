import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './add.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { constants, shader } from '../wgsl.ts';

/** a + b (same shape), optionally followed by ReLU. */
export function add(ctx: GpuContext, a: Tensor, b: Tensor, relu = false): Tensor {
  if (a.size !== b.size) throw new Error(`add: shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] differ`);
  const y = ctx.empty(a.shape, 'f32', 'add');
  launchElementwise(ctx, shader(constants({ RELU: relu }), source), relu ? 'add+relu' : 'add', a.size, [], [a, b, y]);
  return y;
}
