// Wrapper of conv2d_split_k_sum.wgsl: the forward conv's K slices added, then its epilogue.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import type { ConvEpilogue } from './conv2d.ts';
import { convPrelude, convUniform, epilogueBits, type ConvShapeConstants } from './geometry.ts';
import source from './conv2d_split_k_sum.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import convEpilogue from './conv_epilogue.wgsl?raw';
import { groups1d, shader } from '../wgsl.ts';

/**
 * y [N, CO, OH, OW] = epilogue(sum of the slices of `partial` [splits, N, CO, OH, OW]), the slices being
 * `sliceK` steps of the forward's reduction (inC * kH * kW) each.
 */
export function conv2dSplitKSum(
  ctx: GpuContext,
  partial: Tensor,
  inC: number,
  g: ConvShapeConstants,
  sliceK: number,
  epilogue: ConvEpilogue,
): Tensor {
  const [splits, batch, outC, outH, outW] = partial.shape as [number, number, number, number, number];
  if (splits !== Math.ceil((inC * g.kH * g.kW) / sliceK) || outH !== g.outH || outW !== g.outW) {
    throw new Error(`conv2dSplitKSum: [${partial.shape.join(',')}] is not the slices of ${sliceK} of this conv`);
  }
  const code = shader(
    convPrelude(g, batch),
    convEpilogue,
    source,
  );
  const y = ctx.empty([batch, outC, outH, outW], 'f32', 'conv2d');
  const dummy = ctx.dummy;
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d_split_k_sum'),
    [ctx.uniform(convUniform(batch, inC, outC, g, sliceK, epilogueBits(epilogue))), partial, dummy, epilogue.scale ?? dummy, epilogue.shift ?? dummy, epilogue.residual ?? dummy, y],
    groups1d(y.size, ELEMENTWISE_WORKGROUP),
    `conv2d split-k sum ${splits}x${outC}x${outH}x${outW}`,
  );
  return y;
}
