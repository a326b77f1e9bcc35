// How many threads lavapipe (Mesa's CPU Vulkan driver) runs compute shaders on. It splits each dispatch's
// workgroups evenly between its threads when the dispatch starts, one thread per core by default, and the
// dispatch ends when the last share does. On shared cores (a VM, a busy machine) one core is often slower
// for a while, and then every dispatch waits for its half. With two threads per core the shares are smaller and
// the OS moves the waiting ones to whichever core is free, so a slow core costs a fraction of the dispatch
// (bench/NOTES.md, "lavapipe at two threads per core").
//
// Mesa reads LP_NUM_THREADS when the driver is loaded, so this must run before Dawn looks for adapters. A value
// the user set is kept; other Vulkan drivers ignore the variable.
import { availableParallelism } from 'node:os';
import { readSetting } from '../../kernels/config.ts';

/** Two per core, and no more than Mesa's limit (LP_MAX_THREADS in lp_limits.h, 32; Mesa caps it too). */
export function lavapipeThreads(cores: number): number {
  return Math.max(1, Math.min(32, 2 * cores));
}

/** Set LP_NUM_THREADS unless it is set already; returns the value in force and whether it was ours. */
export function oversubscribeLavapipe(
  env: Record<string, string | undefined> = process.env,
  cores: number = availableParallelism(),
): { threads: string; source: 'wgcam' | 'LP_NUM_THREADS' } {
  const set = readSetting(env, 'LP_NUM_THREADS');
  if (set !== undefined) return { threads: set, source: 'LP_NUM_THREADS' };
  const threads = String(lavapipeThreads(cores));
  env.LP_NUM_THREADS = threads;
  return { threads, source: 'wgcam' };
}

/** One line for `wgcam info` and bench reports on lavapipe. */
export function describeLavapipeThreads(setting: { threads: string; source: 'wgcam' | 'LP_NUM_THREADS' }): string {
  return setting.source === 'wgcam'
    ? `lavapipe threads: ${setting.threads} (two per core, so a slow shared core delays a dispatch less; LP_NUM_THREADS overrides)`
    : `lavapipe threads: ${setting.threads} (LP_NUM_THREADS)`;
}
