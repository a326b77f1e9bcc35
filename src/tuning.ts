// A context's kernel choices before its first job: the adapter class's priors (kernels/config.ts, set when the
// context is made), then the user's forced settings, then the GEMM tile tuner (kernels/gemm/tuner.ts), whose
// choice is remembered per adapter in a TuningStore.
import type { GpuContext } from './gpu/context.ts';
import { applySettings, tileName, type KernelConfig, type ReductionStyle } from './kernels/config.ts';
import { autotuneGemm, type AutotuneOptions, type GemmTuning } from './kernels/gemm/tuner.ts';
import { tilesName } from './kernels/gemm/tiles.ts';

export { memoryTuningStore, remeasuringStore, type TuningStore } from './kernels/gemm/tuner.ts';

/**
 * When a session measures the GEMM tiles of an adapter whose store holds no choice. A stored choice is always
 * read before the first job; the first job never waits on a measurement unless 'before-first-job' asks for it.
 * - 'after-first-job' (default): the first job runs on the adapter class's priors, then the measurement is queued
 *   right after its result; later jobs use the measured choice (one queued behind the measurement waits for it).
 * - 'on-request': only `tune()` measures (the Node CLI: `wgcam tune`); jobs use the stored choice or the priors.
 * - 'before-first-job': the first job waits for the measurement (the behaviour before this option).
 */
export type TuningSchedule = 'after-first-job' | 'on-request' | 'before-first-job';

/** The tuner's options (store, forced tiles, shapes, runs) and the settings users may force instead. */
export interface TuningOptions extends AutotuneOptions {
  /** When to measure the tiles when the store has no choice (default 'after-first-job'). */
  measure?: TuningSchedule;
  reductions?: ReductionStyle;
  /** The window kernels for every windowed conv they fit ('window'), or none ('gemm'); default the prior. */
  convForms?: 'window' | 'gemm';
  /** 'off': no split-K anywhere (to compare on a GPU). */
  splitK?: 'off';
}

/** What a context runs with after tuning, and how its GEMM tiles were chosen. */
export interface AdapterTuning {
  gemm: GemmTuning;
  config: KernelConfig;
}

/** Apply the forced settings, then choose the GEMM tiles (from the store, by measuring, or forced). */
export async function tuneAdapter(ctx: GpuContext, options: TuningOptions = {}): Promise<AdapterTuning> {
  applySettings(ctx, {
    ...(options.reductions ? { reductions: options.reductions } : {}),
    ...(options.convForms ? { windows: options.convForms } : {}),
    ...(options.splitK ? { splitK: options.splitK } : {}),
  });
  const force = options.force === undefined ? undefined : (tileName(options.force) ?? options.force);
  const gemm = await autotuneGemm(ctx, { ...options, ...(force ? { force } : {}) });
  return { gemm, config: ctx.kernels };
}

/** `untiled-fit tiles, f32 operands, tree reductions, no split-K, window kernels forward dense, input grad dense (lavapipe)`. */
export function describeKernelConfig(c: KernelConfig): string {
  return [
    `${tilesName(c.tiles)} tiles`,
    `${c.operands} operands`,
    `${c.reductions} reductions`,
    c.splitK ? 'split-K where tiles are few' : 'no split-K',
    `window kernels forward ${c.windows.forward}, input grad ${c.windows.inputGrad}`,
  ].join(', ') + ` (${c.adapterClass} priors)`;
}
