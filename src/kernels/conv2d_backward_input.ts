// Conv2d input gradient (dL/dx from dL/dy), an implicit GEMM on the shared tile core.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { convPrelude, convOutputSize, type ConvGeometry } from './conv2d.ts';
import source from './conv2d_backward_input.wgsl?raw';
import { chooseTiles, gemmGroups, tileConstants } from './gemm_config.ts';
import gemmTile from './shared/gemm_tile.wgsl?raw';
import { params, shader } from './wgsl.ts';

/** dx [N, C, H, W] of y = conv2d(x, w) given dy [N, CO, OH, OW] and w [CO, C, KH, KW]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geom: ConvGeometry,
): Tensor {
  const [batch, inC, inH, inW] = inputShape;
  const [outC, wInC, kH, kW] = w.shape as [number, number, number, number];
  const [dyN, dyC, outH, outW] = dy.shape as [number, number, number, number];
  if (wInC !== inC || dyC !== outC || dyN !== batch) {
    throw new Error(`conv2dBackwardInput: dy [${dy.shape.join(',')}], w [${w.shape.join(',')}] and input [${inputShape.join(',')}] disagree`);
  }
  if (outH !== convOutputSize(inH, kH, geom.stride, geom.pad) || outW !== convOutputSize(inW, kW, geom.stride, geom.pad)) {
    throw new Error(`conv2dBackwardInput: dy is ${outH}x${outW}, the forward of a ${inH}x${inW} input gives another size`);
  }
  const n = batch * inH * inW;
  const tiles = chooseTiles(inC, n);
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  ctx.dispatch(
    ctx.pipeline(shader(tileConstants(tiles), convPrelude({ inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad }), source, gemmTile), 'conv2d_backward_input'),
    [ctx.uniform(params([batch, inC, inH, inW, outC, outH, outW, kH, kW, geom.stride, geom.pad, 0])), dy, w, dx],
    gemmGroups(tiles, inC, n),
    `conv2d dx ${kH}x${kW}/${geom.stride} ${outC}->${inC} ${inH}x${inW}`,
  );
  return dx;
}
