// Tile shapes and the GEMM core that goes with them (shared/gemm_tile.wgsl, shared/gemm_tile_vec4.wgsl). One
// place, so a kernel asks for `gemmCore(tiles)` and never names a core or its constants itself.
import gemmTileScalar from './shared/gemm_tile.wgsl?raw';
import gemmTileVec4 from './shared/gemm_tile_vec4.wgsl?raw';
import { constants } from './wgsl.ts';

export interface GemmTiles {
  /** 'vec4': the fixed 64x64 tile with 8x8 outputs per thread; 'scalar': the configurable core. */
  core: 'vec4' | 'scalar';
  tileM: number;
  tileN: number;
  tileK: number;
  threadsM: number;
  threadsN: number;
}

/**
 * 64x64 output tiles, 8x8 threads with 8x8 outputs each in vec4 registers; 8 KiB of workgroup memory.
 * On a 512³ GEMM it runs 7x faster than the 16x16-thread scalar core on SwiftShader and 2x on lavapipe
 * (bench/NOTES.md), and it is the classic register-blocked shape for GPUs.
 */
export const DEFAULT_TILES: GemmTiles = { core: 'vec4', tileM: 64, tileN: 64, tileK: 16, threadsM: 8, threadsN: 8 };

/**
 * 8x256 tiles for problems with few rows (the stem's input gradient has 3, a linear layer at batch 1 has 1):
 * 1x32 threads with the same 8x8 blocks; TILE_K 8 keeps the B tile at 8 KiB.
 */
export const THIN_TILES: GemmTiles = { core: 'vec4', tileM: 8, tileN: 256, tileK: 8, threadsM: 1, threadsN: 32 };

/** 128x128 tiles, 16x16 threads with the same 8x8 blocks: more reuse per load, for GPUs with many cores. */
export const WIDE_TILES: GemmTiles = { core: 'vec4', tileM: 128, tileN: 128, tileK: 8, threadsM: 16, threadsN: 16 };

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

/**
 * Tiles for an M x N product on `ctx`: thin tiles when there are few rows; the context's preferred tiles when the
 * product fills them; else the default. A 128x128 tile over layer1's 64 channels or layer4's 49 pixels would
 * compute half or more of its outputs for nothing, whatever the adapter.
 */
export function chooseTiles(ctx: object, m: number, n: number): GemmTiles {
  if (m <= 8) return THIN_TILES;
  const preferred = preferredTiles.get(ctx) ?? DEFAULT_TILES;
  return m >= preferred.tileM && n >= preferred.tileN ? preferred : DEFAULT_TILES;
}

/** WGSL for the GEMM core of `t`: its constants and its source, to be joined with the kernel's loaders. */
export function gemmCore(t: GemmTiles): string {
  if (t.core === 'vec4') {
    if (t.tileM !== 8 * t.threadsM || t.tileN !== 8 * t.threadsN) throw new Error('vec4 GEMM core: each thread owns 8x8 outputs');
    return `${constants({ TILE_K: t.tileK, THREADS_M: t.threadsM, THREADS_N: t.threadsN })}\n${gemmTileVec4}`;
  }
  const tileConstants = constants({ TILE_M: t.tileM, TILE_N: t.tileN, TILE_K: t.tileK, THREADS_M: t.threadsM, THREADS_N: t.threadsN });
  return `${tileConstants}\n${gemmTileScalar}`;
}

export function gemmGroups(t: GemmTiles, m: number, n: number, batch = 1): [number, number, number] {
  return [Math.ceil(n / t.tileN), Math.ceil(m / t.tileM), batch];
}
