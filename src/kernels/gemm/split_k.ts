// Split-K: cutting a GEMM's reduction into slices that separate workgroups (workgroup z) take, when its output
// tiles alone are too few to fill a GPU. Used by the conv forward (conv2d.ts) and the weight gradient
// (conv2d_backward_weight.ts and its direct form); the slices' partial sums are added in order afterwards.
import type { GpuContext } from '../../gpu/context.ts';
import { gemmGroups, type GemmTiles } from './tiles.ts';

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

/**
 * Slices for the conv forward's and input gradient's GEMMs. A GPU wants hundreds of workgroups in flight, and
 * at batch 1 layer4's products have 512 channels by 49 pixels: 8 output tiles, over a K of up to 4608. On an
 * H200 its 3x3 forward took 9x the time of its input gradient, the same work in 72 tiles (bench/NOTES.md). A
 * CPU adapter runs one workgroup per core, which the output tiles keep busy: there the partial sums' round trip
 * would be pure cost, and one slice keeps the forward's GEMM form bit for bit equal to its direct form.
 */
export function gpuSplitK(ctx: GpuContext, tiles: GemmTiles, m: number, n: number, k: number): number {
  return ctx.adapter.software || splitKSettings.get(ctx) === 'off' ? 1 : chooseSplitK(tiles, m, n, k);
}

/** `gpuSplitK`'s rule ('auto'), or one slice everywhere ('off'), to compare on a GPU: `wgcam bench --split-k`. */
export type SplitKSetting = 'auto' | 'off';

const splitKSettings = new WeakMap<object, SplitKSetting>();

export function setSplitK(ctx: object, setting: SplitKSetting): void {
  splitKSettings.set(ctx, setting);
}

export function isSplitKSetting(value: unknown): value is SplitKSetting {
  return value === 'auto' || value === 'off';
}
