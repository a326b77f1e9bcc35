import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { gemmTiles, gemmGroups, gemmCore } from '../gemm/tiles.ts';
import source from './linear.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** y = x W^T + b, x [rows, in], W [out, in], b [out]. */
export function linear(ctx: GpuContext, x: Tensor, w: Tensor, bias: Tensor): Tensor {
  const [rows, inFeatures] = x.shape as [number, number];
  const [outFeatures, wIn] = w.shape as [number, number];
  if (wIn !== inFeatures) throw new Error(`linear: input has ${inFeatures} features, weight expects ${wIn}`);
  const tiles = gemmTiles(ctx.kernels, rows, outFeatures, inFeatures);
  const y = ctx.empty([rows, outFeatures], 'f32', 'linear');
  ctx.dispatch(
    ctx.pipeline(shader(gemmCore(tiles), source), 'linear'),
    [ctx.uniform(params([rows, inFeatures, outFeatures])), x, w, bias, y],
    gemmGroups(tiles, rows, outFeatures),
    `linear ${inFeatures}->${outFeatures}`,
  );
  return y;
}
