// Linear layer backward: dx = dy W, dW = dy^T x (GEMMs on the shared core), db = column sums of dy
// (channel_reduce with the rows as the batch and one pixel per channel).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { channelSum } from '../reduce/channel_reduce.ts';
import { linearBackwardInput } from './linear_backward_input.ts';
import { linearBackwardWeight } from './linear_backward_weight.ts';

export interface LinearBackwardNeeds {
  needInput: boolean;
  needWeight: boolean;
  /** Default true. */
  needBias?: boolean;
}

/** Gradients of y = x W^T + b that are asked for; x is read only for dW. */
export function linearBackward(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  w: Tensor,
  { needInput, needWeight, needBias = true }: LinearBackwardNeeds,
): { dx?: Tensor; dw?: Tensor; db?: Tensor } {
  const out: { dx?: Tensor; dw?: Tensor; db?: Tensor } = {};
  if (needInput) out.dx = linearBackwardInput(ctx, dy, w);
  if (needWeight) out.dw = linearBackwardWeight(ctx, dy, x);
  if (needBias) out.db = channelSum(ctx, dy);
  return out;
}
