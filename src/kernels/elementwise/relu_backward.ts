import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { launchElementwise } from '../launch.ts';
import source from './relu_backward.wgsl?raw';
import reluGradSource from './relu_grad.wgsl?raw';
import { constants, shader } from '../wgsl.ts';

/**
 * dx = dy masked by y > 0, y the ReLU's output (or its input: the mask is the same). `guided`: also masked by
 * dy > 0 (guided backpropagation).
 */
export function reluBackward(ctx: GpuContext, dy: Tensor, y: Tensor, guided = false): Tensor {
  if (dy.size !== y.size) throw new Error(`reluBackward: dy [${dy.shape.join(',')}] and y [${y.shape.join(',')}] differ`);
  const dx = ctx.empty(dy.shape, 'f32', 'relu dx');
  const label = guided ? 'relu_backward guided' : 'relu_backward';
  launchElementwise(ctx, shader(constants({ GUIDED: guided }), reluGradSource, source), label, dy.size, [], [dy, y, dx]);
  return dx;
}
