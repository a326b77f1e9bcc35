// PIL-exact antialiased bilinear resize on the GPU (torchvision's Resize on a PIL image).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './resize_antialias.wgsl?raw';
import { constants, groups1d, params, shader } from '../wgsl.ts';

const PRECISION_BITS = 22;

export interface ResizeCoefficients {
  /** Per output index: first input index, number of taps. */
  first: Uint32Array;
  taps: Uint32Array;
  /** [outSize, kernelSize] fixed-point weights. */
  coeffs: Int32Array;
  kernelSize: number;
}

/**
 * PIL's precompute_coeffs + normalize_coeffs_8bpc (libImaging/Resample.c) for the bilinear (triangle) filter,
 * in the same double-precision operations in the same order (`* ss`, not `/ filterScale`), so that the rounded
 * fixed-point weights are PIL's to the bit.
 */
export function pilBilinearCoefficients(inSize: number, outSize: number): ResizeCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const ss = 1 / filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const first = new Uint32Array(outSize);
  const taps = new Uint32Array(outSize);
  const coeffs = new Int32Array(outSize * kernelSize);
  const weights = new Float64Array(kernelSize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      weights[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = total !== 0 ? weights[x]! / total : weights[x]!;
      coeffs[o * kernelSize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    first[o] = xmin;
    taps[o] = xmax;
  }
  return { first, taps, coeffs, kernelSize };
}

/**
 * One pass along one axis. `src` holds `inH` rows of `inW` pixels; the result rows go to `dst` from row
 * `outRowOffset` on (so a tall image can be fed in strips).
 */
export function resizePass(
  ctx: GpuContext,
  src: Tensor,
  dst: Tensor,
  dims: { inW: number; inH: number; outW: number; outH: number; outRowOffset?: number },
  horizontal: boolean,
  coefficients: { first: Tensor; taps: Tensor; coeffs: Tensor; kernelSize: number },
): void {
  const count = dims.outW * dims.outH;
  ctx.dispatch(
    ctx.pipeline(shader(constants({ HORIZONTAL: horizontal }), source), 'resize_antialias'),
    [
      ctx.uniform(params([dims.inW, dims.inH, dims.outW, dims.outH, coefficients.kernelSize, dims.outRowOffset ?? 0])),
      src,
      coefficients.first,
      coefficients.taps,
      coefficients.coeffs,
      dst,
    ],
    groups1d(count, 256),
    horizontal ? 'resize (horizontal)' : 'resize (vertical)',
  );
}
