// What the peers get from the bench (the page, or Node): the same input, weights and target as wgcam's end-to-end
// tasks; and how they run, one after the other.
import type { BenchConfig, Log, PeerResult } from '../core.ts';

/** Logits farther than this (relative L2) from wgcam's mean the peer did other work: its times are flagged. */
export const LOGITS_TOLERANCE = 1e-4;

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

/** Each peer in turn; a peer that fails says why in its `error` and the next one runs. */
export async function runEachPeer(p: PeerContext, peers: Record<string, Peer>): Promise<Record<string, PeerResult>> {
  const out: Record<string, PeerResult> = {};
  for (const [name, peer] of Object.entries(peers)) {
    p.log(`peer ${name}: starting`);
    const r = await peer(p);
    const l2 = r.logits_rel_l2;
    if (l2 !== null && l2 !== undefined && !(l2 < LOGITS_TOLERANCE)) {
      (r.notes ??= []).push(`logits differ from wgcam's (rel L2 ${l2.toExponential(1)} >= ${LOGITS_TOLERANCE}): not equal work, do not compare`);
    }
    out[name] = r;
  }
  return out;
}

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
