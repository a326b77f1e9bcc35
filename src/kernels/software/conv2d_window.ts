// Conv2d forward without a GEMM or columns, for adapters whose GEMMs run on the direct core (see
// conv2d_direct.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, type ConvEpilogue, type ConvShapeConstants } from '../conv/conv2d.ts';
import source from './conv2d_window.wgsl?raw';
import { getGemmOperands, operandRounding, type GemmTiles } from '../gemm/tiles.ts';
import convEpilogue from '../conv/conv_epilogue.wgsl?raw';
import rowWindow from './row_window.wgsl?raw';
import { constants, groups1d, shader } from '../wgsl.ts';

const THREADS_PER_WORKGROUP = 64;
/** Output pixels and output channels per thread. */
const PIXELS_PER_THREAD = 8;
const CHANNELS_PER_THREAD = 8;
/** Taps along x per stride phase that one window of 11 input values serves for 8 pixels. */
const MAX_TAPS_X = 4;

/**
 * Whether this kernel can compute a forward: GEMMs on the direct core, a window (not a 1x1 without padding) at
 * stride 1 or 2 with at most 4 taps along x per stride phase (the 3x3s; at stride 2 also the stem's 7), and
 * output channels in multiples of 8. The tiled cores keep their implicit GEMM.
 */
export function directConvFits(tiles: GemmTiles, outC: number, kH: number, kW: number, stride: number, pad: number): boolean {
  const window = !(kH === 1 && kW === 1 && pad === 0);
  const taps = stride <= 2 && Math.ceil(kW / stride) <= MAX_TAPS_X;
  return tiles.core === 'direct' && window && taps && outC % CHANNELS_PER_THREAD === 0;
}

/**
 * Whether this kernel computes a forward instead of im2col and the columns GEMM: where it fits, as `tuned` says
 * (the adapter's measured choice, conv_forms.ts), or else at stride 1 and in phase order (the stem). Measured
 * against im2col and the GEMM on both CPU adapters (bench/NOTES.md): the stride-1 3x3s ran faster on both (up
 * to 1.4x on lavapipe, 2x on SwiftShader), and so did the stem in phase order (1.2x and 1.6x); the strided 3x3s,
 * which read an even and an odd window of each input row in each step, ran slower on lavapipe and 10-25% faster
 * in Chromium's SwiftShader, so by default they take im2col, and the tuner decides per adapter. The strided
 * 1x1s (one window that steps by 2) ran up to 1.1x slower on lavapipe and 1.4x on SwiftShader, so they are not
 * offered.
 */
export function usesDirectConv(
  tiles: GemmTiles,
  outC: number,
  kH: number,
  kW: number,
  stride: number,
  pad: number,
  tuned?: boolean,
): boolean {
  return directConvFits(tiles, outC, kH, kW, stride, pad) && (tuned ?? (stride === 1 || addsByPhase({ stride, kW })));
}

/**
 * Whether a conv's forward, in either form on the direct core, adds its products in phase order
 * (shared/phase_order.wgsl): each tap row's even taps, then its odd ones.
 */
export function addsByPhase(g: Pick<ConvShapeConstants, 'stride' | 'kW'>): boolean {
  // At least 3 taps per phase: the stem (4 and 3) ran 1.4-1.6x faster so; the strided 3x3s (2 and 1) slower.
  return g.stride === 2 && g.kW >= 5;
}

/** y [N, CO, OH, OW] = epilogue(conv2d(x, w)), as conv2d.ts's conv2d. */
export function conv2dDirect(ctx: GpuContext, x: Tensor, w: Tensor, geometry: ConvShapeConstants, epilogue: ConvEpilogue): Tensor {
  const [batch, inC] = x.shape as [number, number, number, number];
  const outC = w.shape[0]!;
  const code = shader(
    constants({ AFFINE: epilogue.scale !== undefined, RESIDUAL: epilogue.residual !== undefined, RELU: epilogue.relu === true }),
    constants({ PHASE_ORDER: addsByPhase(geometry) }),
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
