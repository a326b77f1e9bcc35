// Tile shapes for the shared GEMM core (shared/gemm_tile.wgsl). One place, so the autotuner of later work can
// choose per adapter and per problem without touching the kernels.
import { constants } from './wgsl.ts';

export interface GemmTiles {
  tileM: number;
  tileN: number;
  tileK: number;
  threadsM: number;
  threadsN: number;
}

/** 64x64 output tiles, 16x16 threads with 4x4 outputs each; 8 KiB of workgroup memory. */
export const DEFAULT_TILES: GemmTiles = { tileM: 64, tileN: 64, tileK: 16, threadsM: 16, threadsN: 16 };

/** Narrower tiles for problems with few rows (e.g. 3 input channels, 1-row linear layers). */
export const THIN_TILES: GemmTiles = { tileM: 16, tileN: 128, tileK: 16, threadsM: 4, threadsN: 32 };

export function chooseTiles(m: number, _n: number): GemmTiles {
  return m <= 16 ? THIN_TILES : DEFAULT_TILES;
}

export function tileConstants(t: GemmTiles): string {
  return constants({ TILE_M: t.tileM, TILE_N: t.tileN, TILE_K: t.tileK, THREADS_M: t.threadsM, THREADS_N: t.threadsN });
}

export function gemmGroups(t: GemmTiles, m: number, n: number, batch = 1): [number, number, number] {
  return [Math.ceil(n / t.tileN), Math.ceil(m / t.tileM), batch];
}
