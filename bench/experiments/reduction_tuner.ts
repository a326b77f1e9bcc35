// The former reduction tuner, kept as the tool that derives the adapter classes' reduction priors
// (src/kernels/config.ts: KERNEL_PRIORS): times a tree in workgroup memory against one thread walking the
// values on the adapter at hand (bench/NOTES.md, "Software-adapter variants").
import type { GpuContext } from '../../src/gpu/context.ts';
import { relativeL2 } from '../../src/metrics.ts';
import { channelSum } from '../../src/kernels/reduce/channel_reduce.ts';
import { adapterTuningKey, tuningRandom, type TuningStore } from '../../src/kernels/gemm/tuner.ts';
import { fastestRun, formatRunMs } from '../../src/kernels/run_timing.ts';
import { configureKernels, type ReductionStyle } from '../../src/kernels/config.ts';

const isReductionStyle = (v: unknown): v is ReductionStyle => v === 'tree' || v === 'serial';
const setReductionStyle = (ctx: GpuContext, style: ReductionStyle) => void configureKernels(ctx, { reductions: style });

export interface ReductionTuning {
  choice: ReductionStyle;
  source: 'measured' | 'cached' | 'forced';
  /** Per style, when measured: milliseconds of its fastest run. */
  timings: Partial<Record<ReductionStyle, number>>;
}

/** Bump when either style's kernels or the clock (run_timing.ts) change enough to invalidate old measurements. */
const TUNING_VERSION = 'reductions-v2';
/** The serial form replaces the tree (the GPU's choice) only when it takes less than this fraction of its time. */
const CLEAR_WIN = 0.9;
/**
 * The timed reduction: per-channel sums of a [1, 128, 56, 56] tensor (layer1's and layer2's batchnorm size,
 * 3136 values per channel). Measured: 41-46 ms as a tree and 7 ms serial in Chromium's SwiftShader, 3 ms as a
 * tree and 3.5 ms serial on lavapipe.
 */
const SHAPE = [1, 128, 56, 56] as const;

export function reductionTuningKey(ctx: GpuContext): string {
  return adapterTuningKey(TUNING_VERSION, ctx);
}

/** `serial (measured: tree 80.1 ms, serial 27.3 ms)`: for logs and reports. */
export function describeReductionTuning(t: ReductionTuning): string {
  const times = Object.entries(t.timings).map(([style, ms]) => `${style} ${formatRunMs(ms)}`).join(', ');
  return `${t.choice} (${t.source}${times ? `: ${times}` : ''})`;
}

export interface ReductionTuneOptions {
  store?: TuningStore;
  /** Use this style without measuring (for comparing the two: `WGCAM_REDUCTIONS`, `wgcam bench --reductions`). */
  force?: ReductionStyle;
  /** Timed runs per style (default 3; the fastest counts). */
  runs?: number;
}

/** Choose the context's reduction style: from the store, by timing both once, or as forced; it applies to `ctx`. */
export async function autotuneReductions(ctx: GpuContext, options: ReductionTuneOptions = {}): Promise<ReductionTuning> {
  if (options.force !== undefined) {
    configureKernels(ctx, { reductions: options.force });
    return { choice: options.force, source: 'forced', timings: {} };
  }
  const key = reductionTuningKey(ctx);
  const cached = await options.store?.get(key).catch(() => undefined);
  if (isReductionStyle(cached)) {
    configureKernels(ctx, { reductions: cached });
    return { choice: cached, source: 'cached', timings: {} };
  }
  const [batch, channels, h, w] = SHAPE;
  const area = h * w;
  // Deterministic inputs, and their float64 sums per channel.
  const host = Float32Array.from({ length: batch * channels * area }, tuningRandom(2024));
  const reference = new Float64Array(channels);
  for (let c = 0; c < channels; c++) for (let i = 0; i < area; i++) reference[c]! += host[c * area + i]!;
  const x = ctx.upload(host, [...SHAPE], 'f32', 'reduction autotune input');
  const timings: Partial<Record<ReductionStyle, number>> = {};
  try {
    for (const style of ['tree', 'serial'] as const) {
      configureKernels(ctx, { reductions: style });
      // The first run compiles the pipeline and is the one checked: a style that miscompiles is never chosen.
      const first = channelSum(ctx, x);
      const sums = await ctx.read(first);
      first.release();
      if (relativeL2(sums, reference) > 1e-5) continue;
      timings[style] = await fastestRun(ctx, options.runs ?? 3, () => channelSum(ctx, x));
    }
  } finally {
    x.release();
  }
  const { tree, serial } = timings;
  if (tree === undefined && serial === undefined) throw new Error('reduction autotuner: neither style summed correctly');
  const choice: ReductionStyle = tree === undefined || (serial !== undefined && serial < CLEAR_WIN * tree) ? 'serial' : 'tree';
  configureKernels(ctx, { reductions: choice });
  await options.store?.set(key, choice).catch(() => undefined); // a read-only cache only costs a re-measure
  return { choice, source: 'measured', timings };
}
