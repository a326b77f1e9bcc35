// Tile shapes and the GEMM core that goes with them (shared/gemm_tile.wgsl, shared/gemm_tile_vec4.wgsl,
// shared/gemm_tile_direct.wgsl). One place, so a kernel asks for `gemmCore(tiles)` and never names a core or its
// constants itself.
import f16Operand from '../software/f16_operand.wgsl?raw';
import gemmStoreVec4 from './gemm_store_vec4.wgsl?raw';
import gemmTileDirect from '../software/gemm_tile_untiled.wgsl?raw';
import gemmTileFill from './gemm_tile_fill.wgsl?raw';
import gemmTileScalar from './gemm_tile_scalar.wgsl?raw';
import gemmTileVec4 from './gemm_tile_vec4.wgsl?raw';
import { constants } from '../wgsl.ts';

export interface GemmTiles {
  /**
   * 'vec4': workgroup tiles, 8x8 outputs per thread; 'direct': the same 8x8 blocks without workgroup memory (for
   * CPU adapters); 'scalar': the configurable scalar core.
   */
  core: 'vec4' | 'direct' | 'scalar';
  tileM: number;
  tileN: number;
  tileK: number;
  threadsM: number;
  threadsN: number;
  /**
   * Fit the tile and TILE_K to each product (`fitTiles`) instead of using these sizes as they are: the tile is
   * then 32-64 rows by 32-64 columns, so fewer of its outputs and reduction steps fall past the edges.
   */
  fit?: boolean;
  /**
   * The operands' precision: f32 (the default) or f16 (needs shader-f16), which the tiled cores' workgroup tiles
   * then hold and the direct core rounds to. Products and sums are f32 either way. Set per context with
   * `setGemmOperands`; `chooseTiles` copies it here.
   */
  operands?: GemmOperands;
}

export type GemmOperands = 'f32' | 'f16';

/**
 * 64x64 output tiles, 8x8 threads with 8x8 outputs each in vec4 registers; 8.5 KiB of workgroup memory.
 * On a 512³ GEMM it runs 7x faster than the 16x16-thread scalar core on SwiftShader and 2x on lavapipe
 * (bench/NOTES.md), and it is the classic register-blocked shape for GPUs.
 */
export const DEFAULT_TILES: GemmTiles = { core: 'vec4', tileM: 64, tileN: 64, tileK: 16, threadsM: 8, threadsN: 8 };

/**
 * 8x256 tiles for problems with few rows (the stem's input gradient has 3, a linear layer at batch 1 has 1):
 * 1x32 threads with the same 8x8 blocks; TILE_K 8 keeps the B tile at 8 KiB (and its padding).
 */
export const THIN_TILES: GemmTiles = { core: 'vec4', tileM: 8, tileN: 256, tileK: 8, threadsM: 1, threadsN: 32 };

/** 128x128 tiles, 16x16 threads with the same 8x8 blocks: more reuse per load, for GPUs with many cores. */
export const WIDE_TILES: GemmTiles = { core: 'vec4', tileM: 128, tileN: 128, tileK: 8, threadsM: 16, threadsN: 16 };

/**
 * 32-64 rows and columns and TILE_K 7-16, fitted to each product (`fitTiles`). At batch 1, layer3 has 196
 * pixels and layer4 49, so 64-wide column tiles compute 256 and 64 columns for them (23% for nothing), and a
 * weight gradient's reduction over 49 pixels runs 64 steps with TILE_K 16. Fitted, they compute 200 and 56
 * columns and 49 steps. The price is a workgroup of 40 or 56 threads, which a GPU may not like: the autotuner
 * decides per adapter.
 */
export const FIT_TILES: GemmTiles = { ...DEFAULT_TILES, fit: true };

/**
 * The vec4 core's 64x64 blocks of 8x8 threads without workgroup memory (shared/gemm_tile_direct.wgsl): each thread
 * reads its operands from the kernel's buffers. For CPU adapters, where the caches do what workgroup memory does
 * and a barrier costs microseconds per invocation. TILE_K 1: the core has none, and split-K may cut K anywhere.
 */
export const DIRECT_TILES: GemmTiles = { core: 'direct', tileM: 64, tileN: 64, tileK: 1, threadsM: 8, threadsN: 8 };

/** Fitted blocks (as FIT_TILES) on the direct core. */
export const DIRECT_FIT_TILES: GemmTiles = { ...DIRECT_TILES, fit: true };

/** The configurable scalar core in its former default shape (16x16 threads, 4x4 outputs each): the baseline. */
export const SCALAR_TILES: GemmTiles = { core: 'scalar', tileM: 64, tileN: 64, tileK: 16, threadsM: 16, threadsN: 16 };

/** The tiles each context's GEMMs use, set by the autotuner (gemm_autotune.ts); DEFAULT_TILES until then. */
const preferredTiles = new WeakMap<object, GemmTiles>();

export function setPreferredTiles(ctx: object, tiles: GemmTiles): void {
  preferredTiles.set(ctx, tiles);
}

export function getPreferredTiles(ctx: object): GemmTiles | undefined {
  return preferredTiles.get(ctx);
}

/** The operand precision of each context's GEMMs; f32 until set. */
const operandPrecision = new WeakMap<object, GemmOperands>();

export function setGemmOperands(ctx: object, operands: GemmOperands): void {
  operandPrecision.set(ctx, operands);
}

export function getGemmOperands(ctx: object): GemmOperands {
  return operandPrecision.get(ctx) ?? 'f32';
}

/**
 * Tiles for an M x N x K product on `ctx`: thin tiles when there are few rows; the context's preferred tiles when
 * the product fills them (fitted to it when they ask for that); else the default. A 128x128 tile over layer1's
 * 64 channels or layer4's 49 pixels would compute half or more of its outputs for nothing, whatever the adapter.
 */
export function chooseTiles(ctx: object, m: number, n: number, k: number): GemmTiles {
  const preferred = preferredTiles.get(ctx) ?? DEFAULT_TILES;
  const tiles = m <= 8 ? thinTiles(preferred) : resolveTiles(preferred, m, n, k);
  const operands = getGemmOperands(ctx);
  return operands === 'f32' ? tiles : { ...tiles, operands };
}

/** THIN_TILES' shape on the direct core, for adapters that prefer it. */
export const DIRECT_THIN_TILES: GemmTiles = { ...THIN_TILES, core: 'direct', tileK: 1 };

/** The thin tiles' shape on the preferred core: without workgroup memory when the adapter prefers that. */
function thinTiles(preferred: GemmTiles): GemmTiles {
  return preferred.core === 'direct' ? DIRECT_THIN_TILES : THIN_TILES;
}

/**
 * `tiles` as they run on an M x N x K product: fitted if they fit, the default (on the same core, for the direct
 * one) if they are too big for it.
 */
export function resolveTiles(tiles: GemmTiles, m: number, n: number, k: number): GemmTiles {
  if (tiles.fit) return fitTiles(m, n, k, tiles.core === 'direct' ? 'direct' : 'vec4');
  if (m >= tiles.tileM && n >= tiles.tileN) return tiles;
  return tiles.core === 'direct' ? DIRECT_TILES : DEFAULT_TILES;
}

/** Row and column threads (8 rows or columns each) and TILE_K that fitting chooses from. */
const FIT_THREADS = [4, 5, 6, 7, 8];
const FIT_TILE_K = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/**
 * The tile (on the vec4 or the direct core) with the fewest padded rows, columns and reduction steps (ties go
 * to the larger size: fewer workgroups, fewer barriers). Columns: 196 -> 5 threads (200), 784 -> 7 (784),
 * 49 -> 7 (56). Rows: a multiple of 64 channels -> 8; the stem's input-gradient columns, 147 -> 5 (160); fc's
 * 1000 -> 5. K: 49 -> TILE_K 7; 576 or 4608 -> 16.
 */
export function fitTiles(m: number, n: number, k: number, core: 'vec4' | 'direct' = 'vec4'): GemmTiles {
  const threadsM = leastPadded(FIT_THREADS, (t) => 8 * t, m);
  const threadsN = leastPadded(FIT_THREADS, (t) => 8 * t, n);
  // The direct core has no TILE_K: its loop runs exactly K steps.
  const tileK = core === 'direct' ? 1 : leastPadded(FIT_TILE_K, (t) => t, k);
  return { core, tileM: 8 * threadsM, tileN: 8 * threadsN, tileK, threadsM, threadsN };
}

function leastPadded(options: readonly number[], size: (option: number) => number, extent: number): number {
  let best = options[0]!;
  let bestPadded = Infinity;
  for (const option of options) {
    const padded = Math.ceil(extent / size(option)) * size(option);
    if (padded <= bestPadded) [best, bestPadded] = [option, padded];
  }
  return best;
}

/** WGSL for the GEMM core of `t`: its constants and its source, to be joined with the kernel's loaders. */
export function gemmCore(t: GemmTiles): string {
  if (t.fit) throw new Error('gemmCore: fit the tiles to the product first (resolveTiles)');
  const operand = t.operands === 'f16' ? 'enable f16;\nalias OPERAND = f16;' : 'alias OPERAND = f32;';
  if (t.core === 'vec4' || t.core === 'direct') {
    if (t.tileM !== 8 * t.threadsM || t.tileN !== 8 * t.threadsN) {
      throw new Error(`${t.core} GEMM core: each thread owns 8x8 outputs`);
    }
    const threads = constants({ THREADS_M: t.threadsM, THREADS_N: t.threadsN });
    if (t.core === 'direct') {
      return `${operand}\n${threads}\n${operandRounding(t.operands)}\n${gemmStoreVec4}\n${gemmTileDirect}`;
    }
    return `${operand}\n${constants({ TILE_K: t.tileK })}\n${threads}\n${gemmStoreVec4}\n${gemmTileVec4}\n${gemmTileFill}`;
  }
  const tileConstants = constants({ TILE_M: t.tileM, TILE_N: t.tileN, TILE_K: t.tileK, THREADS_M: t.threadsM, THREADS_N: t.threadsN });
  return `${operand}\n${tileConstants}\n${gemmTileScalar}`;
}

/**
 * WGSL for `operand(v)` (shared/f16_operand.wgsl): v itself for f32 operands, v rounded to f16 for f16 ones. For
 * kernels that read their operands from storage without workgroup tiles.
 */
export function operandRounding(operands: GemmOperands | undefined): string {
  return `${constants({ OPERANDS_F16: operands === 'f16' })}\n${f16Operand}`;
}

export function gemmGroups(t: GemmTiles, m: number, n: number, batch = 1): [number, number, number] {
  return [Math.ceil(n / t.tileN), Math.ceil(m / t.tileM), batch];
}
