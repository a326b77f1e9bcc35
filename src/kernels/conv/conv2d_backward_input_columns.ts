// Conv2d input gradient, first half of the columns form: cols = W^T dy as one GEMM (see the .wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvShapeConstants } from './geometry.ts';
import source from './conv2d_backward_input_columns.wgsl?raw';
import { gemmCore, gemmGroups, type GemmTiles } from '../gemm/tiles.ts';
import { shader } from '../wgsl.ts';

/** cols [(ci, ky, kx), (b, oy, ox)] of dy [N, CO, OH, OW] and w [CO, CI, KH, KW], on the plan's `tiles`. */
export function conv2dInputGradColumns(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  batch: number,
  geometry: ConvShapeConstants,
  tiles: GemmTiles,
): Tensor {
  const [outC, inC, kH, kW] = w.shape as [number, number, number, number];
  const rows = inC * kH * kW;
  const columns = batch * geometry.outH * geometry.outW;
  const cols = ctx.empty([rows, columns], 'f32', 'conv2d dx columns');
  ctx.dispatch(
    ctx.pipeline(shader(gemmCore(tiles), convPrelude(geometry, batch), source), 'conv2d_backward_input_columns'),
    [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, cols],
    gemmGroups(tiles, rows, columns),
    `conv2d dx columns ${kH}x${kW}/${geometry.stride} ${outC}->${inC} ${geometry.inH}x${geometry.inW}`,
  );
  return cols;
}
