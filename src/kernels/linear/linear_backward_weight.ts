import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { gemmTiles, gemmGroups, gemmCore } from '../gemm/tiles.ts';
import source from './linear_backward_weight.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** dW [out, in] = dy [rows, out]^T x [rows, in]. */
export function linearBackwardWeight(ctx: GpuContext, dy: Tensor, x: Tensor): Tensor {
  const [rows, outFeatures] = dy.shape as [number, number];
  const [xRows, inFeatures] = x.shape as [number, number];
  if (xRows !== rows) throw new Error(`linearBackwardWeight: dy has ${rows} rows, x has ${xRows}`);
  const tiles = gemmTiles(ctx.kernels, outFeatures, inFeatures, rows);
  const dw = ctx.empty([outFeatures, inFeatures], 'f32', 'linear dw');
  ctx.dispatch(
    ctx.pipeline(shader(gemmCore(tiles), source), 'linear_backward_weight'),
    [ctx.uniform(params([rows, inFeatures, outFeatures])), dy, x, dw],
    gemmGroups(tiles, outFeatures, inFeatures),
    `linear dw ${inFeatures}->${outFeatures}`,
  );
  return dw;
}
