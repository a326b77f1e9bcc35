// Conv2d input gradient (dL/dx from dL/dy), an implicit GEMM on the shared tile core.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, convOutputSize, type ConvGeometry } from './conv2d.ts';
import source from './conv2d_backward_input.wgsl?raw';
import splitKSource from '../gemm/split_k.wgsl?raw';
import { col2im } from './col2im.ts';
import { columnsGemmTiles, conv2dInputGradColumns } from './conv2d_backward_input_columns.ts';
import { conv2dInputGradDirect, usesDirectInputGrad } from '../software/conv2d_backward_input_window.ts';
import { chosenDirectForm } from '../software/conv_forms.ts';
import { THIN_TILES, chooseTiles, gemmGroups, gemmCore, type GemmTiles } from '../gemm/tiles.ts';
import { gpuSplitK, sliceReduction } from '../gemm/split_k.ts';
import { splitKReduce } from '../gemm/split_k_reduce.ts';
import { constants, shader } from '../wgsl.ts';

/** The constants of one stride phase of the input gradient (see conv2d_backward_input.wgsl). */
export interface StridePhase {
  [name: string]: number;
  PHASE_Y: number;
  PHASE_X: number;
  PHASE_H: number;
  PHASE_W: number;
  TAPS_Y: number;
  TAPS_X: number;
  TAP0_Y: number;
  TAP0_X: number;
  DY_OFF_Y: number;
  DY_OFF_X: number;
}

/** Along one axis: the input positions p, p+s, ... and the kernel taps t0, t0+s, ... that reach them. */
function axisPhase(phase: number, size: number, kernel: number, stride: number, pad: number) {
  const tap0 = (phase + pad) % stride;
  return {
    pixels: phase < size ? Math.ceil((size - phase) / stride) : 0,
    taps: tap0 < kernel ? Math.ceil((kernel - tap0) / stride) : 0,
    tap0,
    dyOffset: Math.floor((phase + pad) / stride),
  };
}

/** stride² phases (one for stride 1); a phase with no taps is a GEMM with K = 0, which writes its zeros. */
export function stridePhases(inH: number, inW: number, kH: number, kW: number, geom: ConvGeometry): StridePhase[] {
  const phases: StridePhase[] = [];
  for (let py = 0; py < geom.stride; py++) {
    for (let px = 0; px < geom.stride; px++) {
      const y = axisPhase(py, inH, kH, geom.stride, geom.pad);
      const x = axisPhase(px, inW, kW, geom.stride, geom.pad);
      phases.push({
        PHASE_Y: py, PHASE_X: px, PHASE_H: y.pixels, PHASE_W: x.pixels,
        TAPS_Y: y.taps, TAPS_X: x.taps, TAP0_Y: y.tap0, TAP0_X: x.tap0, DY_OFF_Y: y.dyOffset, DY_OFF_X: x.dyOffset,
      });
    }
  }
  return phases;
}

/**
 * How the input gradient is computed:
 * - 'direct' (conv2d_backward_input_direct.ts): on the direct core, a window with 1-4 taps along x in every
 *   stride phase, over at most 4 input channels or a multiple of 4, where the adapter's tuned choice says so,
 *   or by default with 3-4 taps in every phase (ResNet50's stem and stride-1 3x3s). No GEMM: each thread sums
 *   its pixels' taps over all output channels.
 * - 'columns': a columns GEMM and col2im, when the input channels alone fill no more than a thin tile (the
 *   stem's 3) but channels times taps fill real tiles (147), measured on the stem in bench/NOTES.md; or, on the
 *   direct core, for the windows the direct kernel does not take: there the columns GEMM reads W and dy as they
 *   lie (as in `lowersToColumns`), and col2im pays for the taps once;
 * - 'phases': one implicit GEMM per stride phase (this file's kernel). A 1x1 kernel without padding reads dy
 *   pixel for pixel in its phases, at any stride, so it never needs columns.
 */
export type InputGradForm = 'direct' | 'columns' | 'phases';

export function inputGradForm(
  columnsTiles: GemmTiles,
  inC: number,
  kH: number,
  kW: number,
  geom: ConvGeometry,
  /** The adapter's measured choice for this conv (conv_forms.ts): true for 'direct' where it fits. */
  tunedDirect?: boolean,
): InputGradForm {
  if (usesDirectInputGrad(columnsTiles, inC, kW, geom.stride, tunedDirect)) return 'direct';
  const fewChannels = inC <= THIN_TILES.tileM && inC * kH * kW > THIN_TILES.tileM;
  const onDirectCore = columnsTiles.core === 'direct' && !(kH === 1 && kW === 1 && geom.pad === 0);
  return fewChannels || onDirectCore ? 'columns' : 'phases';
}

/** dx [N, C, H, W] of y = conv2d(x, w) given dy [N, CO, OH, OW] and w [CO, C, KH, KW]. */
export function conv2dBackwardInput(
  ctx: GpuContext,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly [number, number, number, number],
  geom: ConvGeometry,
  options: { /** K slices of the 'phases' form at stride 1; 1 disables split-K. Default: `gpuSplitK`. */ splitK?: number } = {},
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
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const columnsTiles = columnsGemmTiles(ctx, w, batch, geometry);
  const tuned = chosenDirectForm(ctx, 'inputGrad', { inC, outC, kH, kW, stride: geom.stride, pad: geom.pad });
  const form = inputGradForm(columnsTiles, inC, kH, kW, geom, tuned);
  if (form === 'direct') {
    return conv2dInputGradDirect(ctx, dy, w, inputShape, geometry, stridePhases(inH, inW, kH, kW, geom));
  }
  if (form === 'columns') {
    const cols = conv2dInputGradColumns(ctx, dy, w, batch, geometry, columnsTiles);
    const dx = col2im(ctx, cols, inputShape, geometry);
    cols.release();
    return dx;
  }
  const prelude = convPrelude(geometry, batch);
  if (geom.stride === 1) {
    // One phase, the whole input: split-K applies (conv2d_backward_input.wgsl).
    const [phase] = stridePhases(inH, inW, kH, kW, geom) as [StridePhase];
    const n = batch * inH * inW;
    const k = outC * kH * kW;
    const tiles = chooseTiles(ctx, inC, n, k);
    const wanted = Math.max(1, Math.min(options.splitK ?? gpuSplitK(ctx, tiles, inC, n, k), k));
    const { sliceK, splits } = sliceReduction(k, wanted, tiles.tileK);
    const sliced = splits > 1;
    const out = sliced ? ctx.empty([splits, ...inputShape], 'f32', 'conv2d dx slices') : ctx.empty(inputShape, 'f32', 'conv2d dx');
    ctx.dispatch(
      ctx.pipeline(shader(gemmCore(tiles), prelude, constants(phase), constants({ SLICED: sliced, OVERHANG: splits * sliceK > k }), splitKSource, source), 'conv2d_backward_input'),
      [ctx.uniform(convUniform(batch, inC, outC, geometry, sliceK)), dy, w, out],
      gemmGroups(tiles, inC, n, splits),
      `conv2d dx ${kH}x${kW}/${geom.stride} ${outC}->${inC} ${inH}x${inW}${sliced ? ` split ${splits}` : ''}`,
    );
    if (!sliced) return out;
    const dx = splitKReduce(ctx, out, inputShape);
    out.release();
    return dx;
  }
  // Strided: one GEMM per stride phase, each writing its own pixels of dx.
  const dx = ctx.empty(inputShape, 'f32', 'conv2d dx');
  const stridedFlags = constants({ SLICED: false, OVERHANG: false });
  for (const phase of stridePhases(inH, inW, kH, kW, geom)) {
    const n = batch * phase.PHASE_H * phase.PHASE_W;
    if (n === 0) continue; // an input smaller than the stride has no pixel in this phase
    const tiles = chooseTiles(ctx, inC, n, outC * phase.TAPS_Y * phase.TAPS_X);
    ctx.dispatch(
      ctx.pipeline(shader(gemmCore(tiles), prelude, constants(phase), stridedFlags, splitKSource, source), 'conv2d_backward_input'),
      [ctx.uniform(convUniform(batch, inC, outC, geometry)), dy, w, dx],
      gemmGroups(tiles, inC, n),
      `conv2d dx ${kH}x${kW}/${geom.stride} ${outC}->${inC} ${inH}x${inW} phase ${phase.PHASE_Y},${phase.PHASE_X}`,
    );
  }
  return dx;
}
