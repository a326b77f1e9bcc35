import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_minmax_normalize.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { constants, params, shader } from '../wgsl.ts';

/**
 * Per image (first axis) of x [N, ...]: (v - min) / (1e-7 + max - min), over everything after the first axis.
 * With `clamp`, v = max(0, v) first.
 */
export function camMinMaxNormalize(ctx: GpuContext, x: Tensor, clamp = false): Tensor {
  const n = x.shape[0]!;
  const area = x.size / n;
  const y = ctx.empty(x.shape, 'f32', 'cam normalise');
  ctx.dispatch(
    ctx.pipeline(shader(constants({ CLAMP: clamp }), workgroupReduce(ctx, area), source), 'cam_minmax_normalize'),
    [ctx.uniform(params([n, area])), x, y],
    [n],
    `cam normalise ${area}${clamp ? ' clamped' : ''}`,
  );
  return y;
}
