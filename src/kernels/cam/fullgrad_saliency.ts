// FullGrad's saliency sums on the GPU (pytorch-grad-cam's FullGrad.compute_cam_per_layer): per plane min-max
// scaling of |factor * grad| (fullgrad_range.wgsl), then the sum over channels (fullgrad_sum.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import termSource from './fullgrad_term.wgsl?raw';
import rangeSource from './fullgrad_range.wgsl?raw';
import sumSource from './fullgrad_sum.wgsl?raw';
import { ELEMENTWISE_WORKGROUP, workgroupReduce } from '../launch.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';

/** What multiplies the gradient: a batchnorm's folded bias [C], or the input (of the input gradient's shape). */
export type FullGradFactor = { bias: Tensor } | { input: Tensor };

/**
 * grad [N, C, h, w] times `factor`: writes (or with `accumulate` adds) into `out` [N, h, w] the sum over c of the
 * per-plane min-max scaled |factor * grad|.
 */
export function fullGradChannelSum(ctx: GpuContext, by: FullGradFactor, grad: Tensor, out: Tensor, accumulate: boolean): void {
  const [n, c, h, w] = grad.shape as [number, number, number, number];
  const perChannel = 'bias' in by;
  const factor = 'bias' in by ? by.bias : by.input;
  const wantShape = perChannel ? [c] : grad.shape;
  if (grad.shape.length !== 4 || factor.shape.join(',') !== wantShape.join(',')) {
    throw new Error(`fullGradChannelSum: factor [${factor.shape.join(',')}] for a gradient [${grad.shape.join(',')}]`);
  }
  if (out.shape.join(',') !== [n, h, w].join(',')) throw new Error(`fullGradChannelSum: out [${out.shape.join(',')}] for [${grad.shape.join(',')}]`);
  const area = h * w;
  const term = `${constants({ PER_CHANNEL: perChannel })}\n${termSource}`;
  const range = ctx.empty([n * c, 2], 'f32', 'fullgrad ranges');
  ctx.dispatch(
    ctx.pipeline(shader(workgroupReduce(ctx, area), term, rangeSource), 'fullgrad_range'),
    [ctx.uniform(params([n * c, c, area])), factor, grad, range],
    [n * c],
    `fullgrad range ${c}x${h}x${w}`,
  );
  ctx.dispatch(
    ctx.pipeline(shader(constants({ ACCUMULATE: accumulate }), term, sumSource), 'fullgrad_sum'),
    [ctx.uniform(params([n * area, c, area])), factor, grad, range, out],
    groups1d(n * area, ELEMENTWISE_WORKGROUP),
    `fullgrad sum ${c}x${h}x${w}`,
  );
  range.release();
}
