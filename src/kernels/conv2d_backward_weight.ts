// Conv2d weight gradient (dL/dW from dL/dy and the forward input), an implicit GEMM on the shared tile core,
// with the reduction split over workgroup z when there are too few output tiles to fill the GPU; or, where an
// adapter's tuning chose it (conv_forms.ts), one GEMM per tap without columns (conv2d_backward_weight_direct.ts)
// over the same slices.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { convPrelude, convUniform, convOutputSize, lowersToColumns, type ConvGeometry } from './conv2d.ts';
import source from './conv2d_backward_weight.wgsl?raw';
import { conv2dWeightGradDirect, usesDirectWeightGrad } from './conv2d_backward_weight_direct.ts';
import { chosenDirectForm } from './conv_forms.ts';
import { chooseTiles, gemmGroups, gemmCore, type GemmTiles } from './gemm_config.ts';
import { im2col } from './im2col.ts';
import convInputWindow from './shared/conv_input_window.wgsl?raw';
import { splitKReduce } from './split_k_reduce.ts';
import { constants, shader } from './wgsl.ts';

export interface WeightGradOptions {
  /** Number of K slices; 1 disables split-K. Default: chosen by `chooseSplitK`. */
  splitK?: number;
}

/** Workgroups worth having in flight before splitting K stops paying for its partial buffer. */
const SPLIT_TARGET_GROUPS = 256;
/** Shortest K slice: below it a workgroup spends more on the epilogue and the reduction than on the product. */
const MIN_SLICE_K = 512;
const MAX_SPLITS = 64;

/** Slices for a GEMM of M x N x K: more only while the output tiles alone leave the GPU idle and K is long. */
export function chooseSplitK(tiles: GemmTiles, m: number, n: number, k: number): number {
  const [gx, gy] = gemmGroups(tiles, m, n);
  const byOccupancy = Math.floor(SPLIT_TARGET_GROUPS / (gx * gy));
  const byLength = Math.floor(k / MIN_SLICE_K);
  return Math.max(1, Math.min(byOccupancy, byLength, MAX_SPLITS));
}

/**
 * K slices of whole K tiles (`tileK` steps each), about `wanted` of them: the same number of tiles in each
 * where K allows at least half the wanted slices that way, else the rounded-up share and a shorter last slice
 * (rounding may leave fewer slices than wanted). Slices that tile K exactly spare the loaders their bounds test,
 * which on the direct core is a compare in every one of its 16 loads per step (1.5x the stem's time on
 * SwiftShader). One slice is K itself: the GEMM core handles a partial last K tile.
 */
export function sliceReduction(k: number, wanted: number, tileK: number): { sliceK: number; splits: number } {
  if (wanted <= 1) return { sliceK: k, splits: 1 };
  if (k % tileK === 0) {
    const tilesInK = k / tileK;
    let exact = Math.min(wanted, tilesInK);
    while (tilesInK % exact !== 0) exact--;
    if (exact > 1 && 2 * exact >= wanted) return { sliceK: k / exact, splits: exact };
  }
  const sliceK = Math.ceil(Math.ceil(k / wanted) / tileK) * tileK;
  const splits = Math.ceil(k / sliceK);
  return splits === 1 ? { sliceK: k, splits: 1 } : { sliceK, splits };
}

/** dW [CO, CI, KH, KW] of y = conv2d(x, w) given dy [N, CO, OH, OW] and x [N, CI, H, W]. */
export function conv2dBackwardWeight(
  ctx: GpuContext,
  dy: Tensor,
  x: Tensor,
  wShape: readonly number[],
  geom: ConvGeometry,
  options: WeightGradOptions = {},
): Tensor {
  const [batch, inC, inH, inW] = x.shape as [number, number, number, number];
  const [outC, wInC, kH, kW] = wShape as [number, number, number, number];
  const [dyN, dyC, outH, outW] = dy.shape as [number, number, number, number];
  if (wShape.length !== 4 || wInC !== inC || dyC !== outC || dyN !== batch) {
    throw new Error(`conv2dBackwardWeight: dy [${dy.shape.join(',')}], x [${x.shape.join(',')}] and w [${wShape.join(',')}] disagree`);
  }
  if (outH !== convOutputSize(inH, kH, geom.stride, geom.pad) || outW !== convOutputSize(inW, kW, geom.stride, geom.pad)) {
    throw new Error(`conv2dBackwardWeight: dy is ${outH}x${outW}, the forward of a ${inH}x${inW} input gives another size`);
  }
  const m = outC;
  const n = inC * kH * kW;
  const k = batch * outH * outW;
  const tiles = chooseTiles(ctx, m, n, k);
  const wanted = Math.max(1, Math.min(options.splitK ?? chooseSplitK(tiles, m, n, k), k));
  const { sliceK, splits } = sliceReduction(k, wanted, tiles.tileK);
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const out = splits === 1 ? ctx.empty(wShape, 'f32', 'conv2d dw') : ctx.empty([splits, m, n], 'f32', 'conv2d dw slices');
  const tuned = chosenDirectForm(ctx, 'weightGrad', { inC, outC, kH, kW, stride: geom.stride, pad: geom.pad });
  if (usesDirectWeightGrad(tiles, inC, outC, kH, kW, geom.stride, geom.pad, tuned)) {
    // The same K slices as the GEMM below, so that both forms give the same sums (the kernel's header).
    conv2dWeightGradDirect(ctx, dy, x, out, geometry, sliceK, splits);
    return splits === 1 ? out : reduceSlices(ctx, out, wShape);
  }
  const columns = lowersToColumns(tiles, kH, kW, geom.pad, geom.stride) ? im2col(ctx, x, geometry) : undefined;
  const code = shader(
    constants({ B_COLUMNS: columns !== undefined, SLICED: splits > 1, OVERHANG: splits * sliceK > k }),
    gemmCore(tiles),
    convPrelude(geometry, batch),
    convInputWindow,
    source,
  );
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d_backward_weight'),
    [ctx.uniform(convUniform(batch, inC, outC, geometry, sliceK)), dy, columns ?? x, out],
    gemmGroups(tiles, m, n, splits),
    `conv2d dw ${kH}x${kW}/${geom.stride} ${inC}->${outC} ${inH}x${inW}${splits > 1 ? ` split ${splits}` : ''}`,
  );
  columns?.release();
  return splits === 1 ? out : reduceSlices(ctx, out, wShape);
}

/** dW from its K slices' partial sums, which are released. */
function reduceSlices(ctx: GpuContext, partial: Tensor, wShape: readonly number[]): Tensor {
  const dw = splitKReduce(ctx, partial, wShape);
  partial.release();
  return dw;
}
