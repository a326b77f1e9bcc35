// Conv2d weight gradient (dL/dW from dL/dy and the forward input), run as its plan (plan.ts) says: an implicit
// GEMM over the pixels (conv2d_backward_weight.wgsl), or on the untiled core the same GEMM over explicit
// columns (software/im2col.ts); split into K slices when its output tiles are too few to fill the adapter.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { splitKSnippet } from '../gemm/split_k.ts';
import { splitKReduce } from '../gemm/split_k_reduce.ts';
import { gemmCore, gemmGroups } from '../gemm/tiles.ts';
import { im2col } from '../software/im2col.ts';
import { constants, shader } from '../wgsl.ts';
import source from './conv2d_backward_weight.wgsl?raw';
import convInputWindow from './conv_input_window.wgsl?raw';
import { convOutputSize, convPrelude, convUniform, type ConvGeometry } from './geometry.ts';
import { planConv } from './plan.ts';

export interface WeightGradOptions {
  /** Number of K slices; 1 disables split-K. Default: the plan's. */
  splitK?: number;
}

/** dW [CO, CI, KH, KW] of y = conv2d(x, w) given dy [N, CO, OH, OW] and x [N, CI, H, W]. */
export function conv2dBackwardWeight(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  wShape: readonly number[],
  geom: ConvGeometry,
  options: WeightGradOptions = {},
): Tensor {
  const [batch, inC, inH, inW] = x.shape as [number, number, number, number];
  const [outC, wInC, kH, kW] = wShape as [number, number, number, number];
  const [dyN, dyC, outH, outW] = dy.shape as [number, number, number, number];
  if (wShape.length !== 4 || wInC !== inC || dyC !== outC || dyN !== batch) {
    throw new Error(`conv2dBackwardWeight: dy [${dy.shape.join(',')}], x [${x.shape.join(',')}] and w [${wShape.join(',')}] disagree`);
  }
  if (outH !== convOutputSize(inH, kH, geom.stride, geom.pad) || outW !== convOutputSize(inW, kW, geom.stride, geom.pad)) {
    throw new Error(`conv2dBackwardWeight: dy is ${outH}x${outW}, the forward of a ${inH}x${inW} input gives another size`);
  }
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const plan = planConv(ctx.kernels, { batch, inC, outC, inH, inW, kH, kW, ...geom }, 'weightGrad', options.splitK);
  const { tiles, m, n } = plan.gemm!;
  const out = plan.splits === 1 ? ctx.empty(wShape, 'f32', 'conv2d dw') : ctx.empty([plan.splits, m, n], 'f32', 'conv2d dw slices');
  const columns = plan.form === 'columns' ? im2col(ctx, x, geometry) : undefined;
  const code = shader(
    constants({ B_COLUMNS: columns !== undefined }),
    gemmCore(tiles),
    convPrelude(geometry, batch),
    convInputWindow,
    splitKSnippet(plan),
    source,
  );
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d_backward_weight'),
    [ctx.uniform(convUniform(batch, inC, outC, geometry, plan.sliceK)), dy, columns ?? x, out],
    gemmGroups(tiles, m, n, plan.splits),
    `conv2d dw ${kH}x${kW}/${geom.stride} ${inC}->${outC} ${inH}x${inW}${plan.splits > 1 ? ` split ${plan.splits}` : ''}`,
  );
  columns?.release();
  if (plan.splits === 1) return out;
  const dw = splitKReduce(ctx, out, wShape);
  out.release();
  return dw;
}
