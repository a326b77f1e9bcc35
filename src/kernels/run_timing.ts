// How the GEMM tile tuner (and the experiments that derived the other priors) time a candidate: the wall-clock
// time of one run on the adapter, measured so that it means the same on a CPU adapter, where one run takes
// milliseconds, and on a GPU, where a run is shorter than a wait for the GPU.
import type { Tensor } from '../gpu/tensor.ts';

/** What fastestRun needs of a GpuContext (a test gives it a clock of its own). */
export interface RunClock {
  /** Submit what is encoded and wait until the GPU has done it. */
  sync(): Promise<void>;
}

/**
 * A run shorter than this is timed in batches. Each wait for the GPU (submit, then onSubmittedWorkDone) has a
 * fixed cost under Dawn that can exceed a GPU's whole kernel; a CPU adapter's runs are longer than this.
 */
export const SHORT_RUN_MS = 2;
/** A batch of short runs lasts about this long, so that the fixed cost is measured against many runs. */
export const BATCH_MS = 10;
/** At most this many runs in one batch (the encoding of each is kept until the submit). */
export const MAX_BATCH = 200;

/**
 * Milliseconds one run of `run` takes, the fastest of `runs` measurements, each waited for. The fastest: on a
 * CPU adapter sharing its cores, slower runs measure the other work, not the candidate.
 *
 * A run that takes under SHORT_RUN_MS is also timed in batches of B runs, encoded back to back and waited for
 * once (B fills about BATCH_MS), and its time is the slope between the two: (batch - single) / (B - 1). A
 * single run is the fixed cost of the wait plus one run, a batch that cost plus B runs, so the slope is one run
 * alone. A GPU's tuner then compares kernels, not round trips (bench/NOTES.md, "The tuners time a GPU's short
 * runs in batches"). Each run releases its output before the next, which takes the same buffer back from the pool: the
 * batch's runs write one buffer, so the GPU runs them one after another, as a network would.
 */
export async function fastestRun(clock: RunClock, runs: number, run: () => Tensor): Promise<number> {
  let single = Infinity;
  for (let r = 0; r < runs; r++) single = Math.min(single, await timeBatch(clock, 1, run));
  if (single >= SHORT_RUN_MS) return single;
  const size = Math.min(MAX_BATCH, Math.max(2, Math.ceil(BATCH_MS / Math.max(single, 1e-3))));
  let batch = Infinity;
  for (let r = 0; r < runs; r++) batch = Math.min(batch, await timeBatch(clock, size, run));
  const slope = (batch - single) / (size - 1);
  // A batch that came back no slower than the single run (noise) gives no slope: its mean is the estimate.
  return slope > 0 ? slope : batch / size;
}

async function timeBatch(clock: RunClock, size: number, run: () => Tensor): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < size; i++) run().release();
  await clock.sync();
  return performance.now() - start;
}

/**
 * A tuner's time for reports: one decimal at CPU adapters' milliseconds, three below 1 ms, so that a GPU's
 * short kernels are not all reported as zero.
 */
export function formatRunMs(ms: number): string {
  return `${ms.toFixed(ms < 1 ? 3 : 1)} ms`;
}
