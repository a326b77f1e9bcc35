// Conv2d forward without a GEMM or columns, for adapters whose GEMMs run on the direct core (see
// conv2d_direct.wgsl).
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvEpilogue, type ConvShapeConstants } from './conv2d.ts';
import source from './conv2d_direct.wgsl?raw';
import { getGemmOperands, operandRounding, type GemmTiles } from './gemm_config.ts';
import convEpilogue from './shared/conv_epilogue.wgsl?raw';
import rowWindow from './shared/row_window.wgsl?raw';
import { constants, groups1d, shader } from './wgsl.ts';

const THREADS_PER_WORKGROUP = 64;
/** Output pixels and output channels per thread. */
const PIXELS_PER_THREAD = 8;
const CHANNELS_PER_THREAD = 8;
/** Taps along x that one window of 11 input values serves for 8 pixels. */
const MAX_TAPS_X = 4;

/**
 * Whether this kernel computes a forward instead of im2col and the columns GEMM: GEMMs on the direct core, a
 * stride-1 window of at most 4 taps along x (ResNet50's 3x3s at stride 1), and output channels in multiples of
 * 8. Measured against im2col and the GEMM on both CPU adapters (bench/NOTES.md). Not for strided windows: the
 * stem and the 3x3s at stride 2 would need two interleaved windows of the input row, and ran 7-14% slower
 * than im2col on lavapipe that way (1.1-1.2x faster on SwiftShader); the strided 1x1s, on one window that steps
 * by 2, ran up to 1.1x slower on lavapipe and 1.4x on SwiftShader. The tiled cores keep their implicit GEMM.
 */
export function usesDirectConv(tiles: GemmTiles, outC: number, kH: number, kW: number, stride: number, pad: number): boolean {
  const window = !(kH === 1 && kW === 1 && pad === 0);
  return tiles.core === 'direct' && window && stride === 1 && kW <= MAX_TAPS_X && outC % CHANNELS_PER_THREAD === 0;
}

/** y [N, CO, OH, OW] = epilogue(conv2d(x, w)), as conv2d.ts's conv2d. */
export function conv2dDirect(ctx: GpuContext, x: Tensor, w: Tensor, geometry: ConvShapeConstants, epilogue: ConvEpilogue): Tensor {
  const [batch, inC] = x.shape as [number, number, number, number];
  const outC = w.shape[0]!;
  const code = shader(
    constants({ AFFINE: epilogue.scale !== undefined, RESIDUAL: epilogue.residual !== undefined, RELU: epilogue.relu === true }),
    operandRounding(getGemmOperands(ctx)),
    convPrelude(geometry, batch),
    convEpilogue,
    rowWindow,
    source,
  );
  const y = ctx.empty([batch, outC, geometry.outH, geometry.outW], 'f32', 'conv2d');
  const threads = batch * geometry.outH * (outC / CHANNELS_PER_THREAD) * Math.ceil(geometry.outW / PIXELS_PER_THREAD);
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d_direct'),
    [
      ctx.uniform(convUniform(batch, inC, outC, geometry)),
      x,
      w,
      epilogue.scale ?? ctx.dummy,
      epilogue.shift ?? ctx.dummy,
      epilogue.residual ?? ctx.dummy,
      y,
    ],
    groups1d(threads, THREADS_PER_WORKGROUP),
    `conv2d ${geometry.kH}x${geometry.kW}/${geometry.stride} ${inC}->${outC} ${geometry.inH}x${geometry.inW}`,
  );
  return y;
}
