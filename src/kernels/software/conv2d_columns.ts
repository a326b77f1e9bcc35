// Conv2d forward through explicit columns on the untiled GEMM core (see conv2d_columns.wgsl): im2col, then
// the GEMM with the forward's fused epilogue. The plan (conv/plan.ts) sends a conv here.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import type { ConvEpilogue } from '../conv/conv2d.ts';
import convEpilogue from '../conv/conv_epilogue.wgsl?raw';
import { convPrelude, convUniform, epilogueBits, type ConvShapeConstants } from '../conv/geometry.ts';
import type { ConvPlan } from '../conv/plan.ts';
import { splitKSnippet } from '../gemm/split_k.ts';
import { gemmCore, gemmGroups } from '../gemm/tiles.ts';
import { shader } from '../wgsl.ts';
import source from './conv2d_columns.wgsl?raw';
import { im2col } from './im2col.ts';

/** Into `y`: the plan's GEMM over x's columns, through `epilogue` (empty when the plan slices K). */
export function conv2dColumns(
  ctx: GpuContext,
  x: Tensor,
  w: Tensor,
  y: Tensor,
  geometry: ConvShapeConstants,
  plan: ConvPlan,
  epilogue: ConvEpilogue,
  label: string,
): void {
  const [batch, inC] = x.shape as [number, number, number, number];
  const { tiles, m, n } = plan.gemm!;
  const columns = im2col(ctx, x, geometry);
  const code = shader(
    gemmCore(tiles),
    convPrelude(geometry, batch, 'geometry'),
    convEpilogue,
    splitKSnippet(plan),
    source,
  );
  const bindings = [columns, w, epilogue.scale ?? ctx.dummy, epilogue.shift ?? ctx.dummy, epilogue.residual ?? ctx.dummy, y];
  ctx.dispatch(ctx.pipeline(code, 'conv2d_columns'), [ctx.uniform(convUniform(batch, inC, m, geometry, plan.sliceK, epilogueBits(epilogue))), ...bindings], gemmGroups(tiles, m, n, plan.splits), label);
  columns.release();
}
