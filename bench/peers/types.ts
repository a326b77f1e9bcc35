// What the peers get from the bench page: the same input, weights and target as wgcam's end-to-end tasks.
import type { BenchConfig, Log, PeerResult } from '../core.ts';

export interface PeerContext {
  config: BenchConfig;
  weights: ReadonlyMap<string, Float32Array>;
  /** [N, 3, H, W], the end-to-end input. */
  input: { shape: number[]; data: Float32Array };
  /** Per image, H x W x 3 bytes for the overlay. */
  pictures: Uint8Array[];
  /** wgcam's logits on `input`: the equal-work check and the Grad-CAM target (top class). */
  logits: Float32Array;
  log: Log;
}

export type Peer = (p: PeerContext) => Promise<PeerResult>;

/** Median of the timed calls after one warm-up call (which includes compilation). */
export async function timeCalls(runs: number, call: () => Promise<unknown>): Promise<{ warmup: number; median: number; runs: number[] }> {
  const t0 = performance.now();
  await call();
  const warmup = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { warmup, median, runs: times };
}

export function topClasses(logits: Float32Array, batch: number, classes = 1000): number[] {
  return Array.from({ length: batch }, (_, n) => {
    let best = 0;
    for (let i = 1; i < classes; i++) if (logits[n * classes + i]! > logits[n * classes + best]!) best = i;
    return best;
  });
}

export function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}
