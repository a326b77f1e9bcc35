// Split-K: cutting a GEMM's reduction into slices that separate workgroups (workgroup z) take, when its output
// tiles alone are too few to fill a GPU. The conv planner (conv/plan.ts) decides where; the slices' partial
// sums are added in order afterwards (split_k_reduce.ts, conv/conv2d_split_k_sum.ts).
import { constants } from '../wgsl.ts';
import splitKSource from './split_k.wgsl?raw';
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
 * which on the untiled core is a compare in every one of its 16 loads per step. One slice is K itself: the
 * GEMM core handles a partial last K tile.
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
 * The split-K constants and snippet (split_k.wgsl) for a GEMM of reduction length `k` in `splits` slices of
 * `sliceK` steps: SLICED (more than one slice), OVERHANG (the slices run past K, so the loaders test for it).
 */
export function splitKSnippet(plan: { splits: number; sliceK: number; gemm?: { k: number } }): string {
  const k = plan.gemm?.k ?? plan.sliceK;
  return `${constants({ SLICED: plan.splits > 1, OVERHANG: plan.splits * plan.sliceK > k })}\n${splitKSource}`;
}
