// Conv2d weight gradient (dL/dW from dL/dy and the forward input), an implicit GEMM on the shared tile core,
// with the reduction split over workgroup z when there are too few output tiles to fill the GPU; or, where an
// adapter's tuning chose it (conv_forms.ts), one GEMM per tap without columns (conv2d_backward_weight_direct.ts)
// over the same slices.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, convUniform, convOutputSize, lowersToColumns, type ConvGeometry } from './conv2d.ts';
import source from './conv2d_backward_weight.wgsl?raw';
import { conv2dWeightGradDirect, usesDirectWeightGrad } from '../software/conv2d_backward_weight_per_tap.ts';
import { chosenDirectForm } from '../software/conv_forms.ts';
import { chooseTiles, gemmGroups, gemmCore, type GemmTiles } from '../gemm/tiles.ts';
import { im2col } from '../software/im2col.ts';
import convInputWindow from './conv_input_window.wgsl?raw';
import splitKSource from '../gemm/split_k.wgsl?raw';
import { chooseSplitK, sliceReduction } from '../gemm/split_k.ts';
import { splitKReduce } from '../gemm/split_k_reduce.ts';
import { constants, shader } from '../wgsl.ts';

export interface WeightGradOptions {
  /** Number of K slices; 1 disables split-K. Default: chosen by `chooseSplitK`. */
  splitK?: number;
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
    splitKSource,
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
