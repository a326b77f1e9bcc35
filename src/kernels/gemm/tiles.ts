// GEMM tile shapes and the core that runs them. Every conv and linear kernel is a GEMM whose loaders (gemmDims,
// loadA, loadB, storeC) are joined to one of two cores:
// - tiled (gemm_tile_vec4.wgsl): workgroup tiles of A and B in workgroup memory, 8x8 outputs per thread in vec4
//   registers; the GPU core.
// - untiled (software/gemm_tile_untiled.wgsl): the same 8x8 blocks, each thread reading its operands itself; for
//   CPU adapters, where workgroup memory and its barriers cost more than they save.
// A kernel asks `gemmCore(tiles)` for its core and never names one itself.
import f16Operand from '../software/f16_operand.wgsl?raw';
import gemmTileUntiled from '../software/gemm_tile_untiled.wgsl?raw';
import { constants } from '../wgsl.ts';
import gemmStoreVec4 from './gemm_store_vec4.wgsl?raw';
import gemmTileFill from './gemm_tile_fill.wgsl?raw';
import gemmTileVec4 from './gemm_tile_vec4.wgsl?raw';

export type GemmCoreName = 'tiled' | 'untiled';
export type GemmOperands = 'f32' | 'f16';

export interface GemmTiles {
  core: GemmCoreName;
  tileM: number;
  tileN: number;
  /** Steps of k per workgroup tile (tiled core); 1 on the untiled core, whose loop runs exactly K steps. */
  tileK: number;
  threadsM: number;
  threadsN: number;
  /**
   * Fit the tile and TILE_K to each product (`fitTiles`) instead of using these sizes as they are: the tile is
   * then 32-64 rows by 32-64 columns, so fewer of its outputs and reduction steps fall past the edges.
   */
  fit?: boolean;
  /** f16 operands (shader-f16): the tiled core's tiles hold them, the untiled core rounds to them. */
  operands?: GemmOperands;
}

/** 64x64 output tiles, 8x8 threads with 8x8 outputs each; 8.5 KiB of workgroup memory. */
export const DEFAULT_TILES: GemmTiles = { core: 'tiled', tileM: 64, tileN: 64, tileK: 16, threadsM: 8, threadsN: 8 };

/**
 * 8x256 tiles for products with few rows (the stem's input gradient has 3, a linear layer at batch 1 has 1):
 * 1x32 threads with the same 8x8 blocks; TILE_K 8 keeps the B tile at 8 KiB.
 */
export const THIN_TILES: GemmTiles = { core: 'tiled', tileM: 8, tileN: 256, tileK: 8, threadsM: 1, threadsN: 32 };

/** 128x128 tiles, 16x16 threads: more reuse per load, for GPUs with many cores. */
export const WIDE_TILES: GemmTiles = { core: 'tiled', tileM: 128, tileN: 128, tileK: 8, threadsM: 16, threadsN: 16 };

/**
 * 32-64 rows and columns and TILE_K 7-16, fitted to each product (`fitTiles`). At batch 1 layer3 has 196 pixels
 * and layer4 49: 64-wide tiles compute 256 and 64 columns for them, fitted ones 200 and 56.
 */
export const FIT_TILES: GemmTiles = { ...DEFAULT_TILES, fit: true };

/** DEFAULT_TILES' blocks on the untiled core (TILE_K 1: split-K may cut K anywhere). */
export const UNTILED_TILES: GemmTiles = { core: 'untiled', tileM: 64, tileN: 64, tileK: 1, threadsM: 8, threadsN: 8 };
export const UNTILED_FIT_TILES: GemmTiles = { ...UNTILED_TILES, fit: true };
export const UNTILED_THIN_TILES: GemmTiles = { ...THIN_TILES, core: 'untiled', tileK: 1 };

/** The tile shapes by the name the tuner, reports and WGCAM_GEMM_TILES use. */
export const GEMM_TILES: Readonly<Record<string, GemmTiles>> = {
  'tiled-64x64': DEFAULT_TILES,
  'tiled-128x128': WIDE_TILES,
  'tiled-fit': FIT_TILES,
  'untiled-64x64': UNTILED_TILES,
  'untiled-fit': UNTILED_FIT_TILES,
};

/** Earlier names of the same shapes, still accepted in settings and stores. */
export const TILE_ALIASES: Readonly<Record<string, string>> = {
  'vec4-64x64': 'tiled-64x64',
  'vec4-128x128': 'tiled-128x128',
  'vec4-fit': 'tiled-fit',
  'direct-64x64': 'untiled-64x64',
  'direct-fit': 'untiled-fit',
};

/** The GEMM_TILES name of `tiles`, or a description of a shape that has none. */
export function tilesName(tiles: GemmTiles): string {
  const base = { ...tiles, operands: undefined };
  const entry = Object.entries(GEMM_TILES).find(([, t]) => JSON.stringify({ ...t, operands: undefined }) === JSON.stringify(base));
  return entry?.[0] ?? `${tiles.core}-${tiles.tileM}x${tiles.tileN}x${tiles.tileK}`;
}

/**
 * Tiles for an M x N x K product under `config`: thin tiles when there are few rows; the preferred tiles when
 * the product fills them (fitted to it when they ask for that); else the default on the same core. A 128x128
 * tile over layer1's 64 channels or layer4's 49 pixels would compute half or more of its outputs for nothing.
 */
export function gemmTiles(config: { tiles: GemmTiles; operands: GemmOperands }, m: number, n: number, k: number): GemmTiles {
  const preferred = config.tiles;
  const tiles = m <= 8 ? (preferred.core === 'untiled' ? UNTILED_THIN_TILES : THIN_TILES) : resolveTiles(preferred, m, n, k);
  return config.operands === 'f32' ? tiles : { ...tiles, operands: config.operands };
}

/** `tiles` as they run on an M x N x K product: fitted if they fit, the core's default if they are too big. */
export function resolveTiles(tiles: GemmTiles, m: number, n: number, k: number): GemmTiles {
  if (tiles.fit) return fitTiles(m, n, k, tiles.core);
  if (m >= tiles.tileM && n >= tiles.tileN) return tiles;
  return tiles.core === 'untiled' ? UNTILED_TILES : DEFAULT_TILES;
}

/** Row and column threads (8 rows or columns each) and TILE_K that fitting chooses from. */
const FIT_THREADS = [4, 5, 6, 7, 8];
const FIT_TILE_K = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/**
 * The tile with the fewest padded rows, columns and reduction steps (ties go to the larger size: fewer
 * workgroups, fewer barriers). Columns: 196 -> 5 threads (200), 784 -> 7 (784), 49 -> 7 (56). Rows: a multiple
 * of 64 channels -> 8; the stem's input-gradient columns, 147 -> 5 (160); fc's 1000 -> 5. K: 49 -> TILE_K 7;
 * 576 or 4608 -> 16.
 */
export function fitTiles(m: number, n: number, k: number, core: GemmCoreName = 'tiled'): GemmTiles {
  const threadsM = leastPadded(FIT_THREADS, (t) => 8 * t, m);
  const threadsN = leastPadded(FIT_THREADS, (t) => 8 * t, n);
  const tileK = core === 'untiled' ? 1 : leastPadded(FIT_TILE_K, (t) => t, k);
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
  if (t.tileM !== 8 * t.threadsM || t.tileN !== 8 * t.threadsN) throw new Error(`${t.core} GEMM core: each thread owns 8x8 outputs`);
  const operand = t.operands === 'f16' ? 'enable f16;\nalias OPERAND = f16;' : 'alias OPERAND = f32;';
  const threads = constants({ THREADS_M: t.threadsM, THREADS_N: t.threadsN });
  if (t.core === 'untiled') return `${operand}\n${threads}\n${operandRounding(t.operands)}\n${gemmTileUntiled}`;
  return `${operand}\n${constants({ TILE_K: t.tileK })}\n${threads}\n${gemmStoreVec4}\n${gemmTileVec4}\n${gemmTileFill}`;
}

/**
 * WGSL for `operand(v)` (software/f16_operand.wgsl): v itself for f32 operands, v rounded to f16 for f16 ones.
 * For kernels that read their operands from storage without workgroup tiles.
 */
export function operandRounding(operands: GemmOperands | undefined): string {
  return `${constants({ OPERANDS_F16: operands === 'f16' })}\n${f16Operand}`;
}

export function gemmGroups(t: GemmTiles, m: number, n: number, batch = 1): [number, number, number] {
  return [Math.ceil(n / t.tileN), Math.ceil(m / t.tileM), batch];
}
