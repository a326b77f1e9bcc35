import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { gemmTiles, gemmGroups, gemmCore } from '../gemm/tiles.ts';
import source from './linear_backward_input.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** dx [rows, in] = dy [rows, out] W [out, in]. */
export function linearBackwardInput(ctx: GpuContext, dy: Tensor, w: Tensor): Tensor {
  const [rows, outFeatures] = dy.shape as [number, number];
  const [wOut, inFeatures] = w.shape as [number, number];
  if (wOut !== outFeatures) throw new Error(`linearBackwardInput: dy has ${outFeatures} features, weight has ${wOut} outputs`);
  const tiles = gemmTiles(ctx.kernels, rows, inFeatures, outFeatures);
  const dx = ctx.empty([rows, inFeatures], 'f32', 'linear dx');
  ctx.dispatch(
    ctx.pipeline(shader(gemmCore(tiles), source), 'linear_backward_input'),
    [ctx.uniform(params([rows, inFeatures, outFeatures])), dy, w, dx],
    gemmGroups(tiles, rows, inFeatures),
    `linear dx ${outFeatures}->${inFeatures}`,
  );
  return dx;
}
