// A small autotuner for the GEMM tiles that every conv and linear kernel uses. Software adapters (one CPU
// thread per workgroup) and GPUs (thousands of lanes) want different tiles, so the choice is measured on the
// adapter at hand and remembered per adapter: a CPU's preference never decides what a GPU runs.
//
// Each candidate runs one plain GEMM; its result is checked against a float64 CPU product before it is timed,
// so a tile shape that miscompiles on some driver can never be chosen.
import type { GpuContext } from '../../gpu/context.ts';
import { relativeL2 } from '../../metrics.ts';
import { gemm } from './gemm.ts';
import { fastestRun, formatRunMs } from '../run_timing.ts';
import {
  DEFAULT_TILES,
  DIRECT_FIT_TILES,
  DIRECT_TILES,
  FIT_TILES,
  SCALAR_TILES,
  WIDE_TILES,
  setPreferredTiles,
  type GemmTiles,
} from './tiles.ts';

/** The tile shapes the autotuner chooses from, by the name reports and overrides use. */
export const GEMM_CANDIDATES: Readonly<Record<string, GemmTiles>> = {
  'vec4-64x64': DEFAULT_TILES,
  'vec4-128x128': WIDE_TILES,
  'vec4-fit': FIT_TILES,
  'direct-64x64': DIRECT_TILES,
  'direct-fit': DIRECT_FIT_TILES,
  'scalar-64x64': SCALAR_TILES,
};

/** Where choices persist between processes (Node: a JSON file in the cache folder; browser: localStorage). */
export interface TuningStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** A store that lives as long as the object: for a session whose caller gives none. */
export function memoryTuningStore(): TuningStore {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => void values.set(key, value),
  };
}

/** A store that reads nothing and writes through to `store`: the tuners measure afresh and replace its choices. */
export function remeasuringStore(store: TuningStore): TuningStore {
  return { get: async () => undefined, set: (key, value) => store.set(key, value) };
}

export interface GemmTuning {
  /** A key of GEMM_CANDIDATES. */
  choice: string;
  /** How it was decided. */
  source: 'measured' | 'cached' | 'forced';
  /** Per candidate, when measured: milliseconds of its fastest run on each tuning shape, summed. */
  timings: Record<string, number>;
  /** Candidates dropped after one shape because they were far behind the best (see HOPELESS), when measured. */
  dropped?: string[];
}

/**
 * The choice a measured candidate must clearly beat, per kind of adapter: the one the whole network runs
 * fastest on, which three plain products only approximate. Within `clearWin` of the prior's time, the prior is
 * the better bet.
 */
export interface TuningPrior {
  /** A key of GEMM_CANDIDATES. */
  choice: string;
  /** A candidate displaces the prior only when it takes less than this fraction of the prior's time. */
  clearWin: number;
}

/**
 * GPUs: the tiled core, tuned on the whole network. 0.9 kept `vec4-fit` out on SwiftShader at 0.91x on these
 * GEMMs, although it ran the network's convs 10-20% faster there (bench/NOTES.md); the tuning GEMMs understate
 * it, since a plain GEMM's loads are cheaper than a conv's. Within 5%, either choice costs little.
 */
export const HARDWARE_PRIOR: TuningPrior = { choice: 'vec4-64x64', clearWin: 0.95 };

/**
 * CPU adapters: the direct core, fitted. Whole forwards on it run 1.2-1.6x faster than on `vec4-fit` on lavapipe
 * (alternated wall clocks, and 1.35x in its convs' profiled GPU time) and 1.5x faster on SwiftShader, but the
 * tuning products show it at 0.9-1.05x. With the tiled prior and 0.95, 3 of 10 tunings on lavapipe chose a vec4
 * core: twice the prior itself, within 5% of `direct-fit`, once `vec4-fit` at 0.94x (bench/NOTES.md). A
 * candidate must now beat `direct-fit` by more than the products understate it.
 */
export const SOFTWARE_PRIOR: TuningPrior = { choice: 'direct-fit', clearWin: 0.75 };

/** The prior for this adapter: a CPU's never decides a GPU's choice. */
export function tuningPrior(ctx: GpuContext): TuningPrior {
  return ctx.adapter.software ? SOFTWARE_PRIOR : HARDWARE_PRIOR;
}

/** A winner's fitted sibling must be beaten by this margin (see chooseCandidate). */
const CLEAR_WIN = 0.95;
/**
 * A candidate whose fastest run on a shape takes more than this multiple of the best time so far on that shape
 * is not measured further: on SwiftShader the scalar core would otherwise take 3 of the tuner's 4 seconds.
 * Not 2: lavapipe's runs of one kernel on these 2 shared cores come in two modes about 2x apart (7-9 or 17-19
 * ms), so at 2 the best candidate was at times dropped after one unlucky shape (bench/NOTES.md).
 */
const HOPELESS = 3;
/**
 * Timed runs per candidate and shape. With 3 (and HOPELESS 2), 4 of 15 tunings on lavapipe chose `direct-fit`,
 * on which its forward runs 1.6x faster than on `vec4-fit`; with 5 (and 3), 15 of 17 did (bench/NOTES.md).
 */
const DEFAULT_RUNS = 5;

/** `vec4-64x64 (measured: vec4-64x64 22.4 ms, vec4-128x128 26.2 ms, ...)`: for logs and reports. */
export function describeGemmTuning(t: GemmTuning): string {
  const times = [
    ...Object.entries(t.timings).map(([name, ms]) => `${name} ${formatRunMs(ms)}`),
    ...(t.dropped ?? []).map((name) => `${name} dropped`),
  ].join(', ');
  return `${t.choice} (${t.source}${times ? `: ${times}` : ''})`;
}

const DEFAULT_TUNING_SHAPES = [[128, 784, 256], [256, 196, 512], [512, 49, 1024]] as const;

/** Bump when the candidates, the cores, the choosing rule or the clock (run_timing.ts) change, so old choices are not reused. */
const TUNING_VERSION = 'gemm-tiles-v9';

export function tuningKey(ctx: GpuContext): string {
  return adapterTuningKey(TUNING_VERSION, ctx);
}

/** A tuner's key in the store: its version, then the adapter, so that one adapter's choice never serves another. */
export function adapterTuningKey(version: string, ctx: GpuContext): string {
  const a = ctx.adapter;
  return `${version}|${a.vendor}|${a.architecture}|${a.device ?? ''}|${a.description}`;
}

/** Deterministic values in [-0.5, 0.5) from `seed`, for the tuners' inputs: any failure reproduces. */
export function tuningRandom(seed: number): () => number {
  let state = seed;
  return () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
}

export interface AutotuneOptions {
  store?: TuningStore;
  /** Use this candidate without measuring (a key of GEMM_CANDIDATES). */
  force?: string;
  /**
   * The GEMMs that are timed, [M, N, K] each; a candidate's time is their sum. Default: three 51-MFLOP products
   * shaped like ResNet50's convs at batch 1: layer2 (128 x 784 x 256), layer3 (256 x 196 x 512) and layer4
   * (512 x 49 x 1024). Together about 30 ms per run on lavapipe. The layer3 and layer4 shapes are where fitted
   * tiles save work (196 and 49 columns), and they have too few columns for wide tiles to pay anywhere.
   */
  shapes?: ReadonlyArray<readonly [number, number, number]>;
  /** Timed runs per candidate and shape (default DEFAULT_RUNS, 5; the fastest counts). */
  runs?: number;
}

/** Choose the context's GEMM tiles: from the store, by measuring, or as forced; the choice applies to `ctx`. */
export async function autotuneGemm(ctx: GpuContext, options: AutotuneOptions = {}): Promise<GemmTuning> {
  if (options.force !== undefined) {
    const tiles = GEMM_CANDIDATES[options.force];
    if (!tiles) throw new Error(`unknown GEMM tiles "${options.force}": use one of ${Object.keys(GEMM_CANDIDATES).join(', ')}`);
    setPreferredTiles(ctx, tiles);
    return { choice: options.force, source: 'forced', timings: {} };
  }
  const key = tuningKey(ctx);
  const cached = await options.store?.get(key).catch(() => undefined);
  if (cached !== undefined && GEMM_CANDIDATES[cached]) {
    setPreferredTiles(ctx, GEMM_CANDIDATES[cached]);
    return { choice: cached, source: 'cached', timings: {} };
  }
  const { timings, dropped } = await measureCandidates(ctx, options.shapes ?? DEFAULT_TUNING_SHAPES, options.runs ?? DEFAULT_RUNS);
  const choice = chooseCandidate(timings, tuningPrior(ctx));
  setPreferredTiles(ctx, GEMM_CANDIDATES[choice]!);
  await options.store?.set(key, choice).catch(() => undefined); // a read-only cache only costs a re-measure
  return { choice, source: 'measured', timings, ...(dropped.length > 0 ? { dropped } : {}) };
}

/**
 * The candidate to use, from the tuner's timings: the fastest, with two priors that a candidate must beat
 * clearly to displace, since within timing noise they are the better bet:
 * - the adapter's prior (HARDWARE_PRIOR or SOFTWARE_PRIOR), the whole network's choice rather than three
 *   products' (it wins any tie it is in);
 * - a winner's fitted sibling (the same core with `fit`; under CLEAR_WIN): fitted tiles compute no padded
 *   outputs on layer3's 196 and layer4's 49 pixels, which these plain products understate. On lavapipe the
 *   tuner once picked `direct-64x64` at 24.9 ms against `direct-fit`'s 26.0, and the network's convs then took
 *   3740 ms against 3397 on `direct-fit` (bench/NOTES.md).
 */
export function chooseCandidate(timings: Record<string, number>, prior: TuningPrior = HARDWARE_PRIOR): string {
  const ranked = Object.entries(timings).sort((x, y) => x[1] - y[1]);
  if (ranked.length === 0) throw new Error('GEMM autotuner: no candidate produced a correct product');
  const [fastest, fastestTime] = ranked[0]!;
  const priorTime = timings[prior.choice];
  if (fastest === prior.choice || (priorTime !== undefined && fastestTime > prior.clearWin * priorTime)) return prior.choice;
  const tiles = GEMM_CANDIDATES[fastest];
  if (tiles === undefined || tiles.fit) return fastest;
  const sibling = Object.entries(GEMM_CANDIDATES).find(([, t]) => t.fit === true && t.core === tiles.core)?.[0];
  const siblingTime = sibling === undefined ? undefined : timings[sibling];
  return sibling !== undefined && siblingTime !== undefined && fastestTime > CLEAR_WIN * siblingTime ? sibling : fastest;
}

async function measureCandidates(
  ctx: GpuContext,
  shapes: ReadonlyArray<readonly [number, number, number]>,
  runs: number,
): Promise<{ timings: Record<string, number>; dropped: string[] }> {
  const products = shapes.map(([rows, cols, depth], i) => {
    const random = tuningRandom(12345 + i);
    const hostA = Float32Array.from({ length: rows * depth }, random);
    const hostB = Float32Array.from({ length: depth * cols }, random);
    const reference = new Float64Array(rows * cols);
    for (let m = 0; m < rows; m++) {
      for (let k = 0; k < depth; k++) {
        const a = hostA[m * depth + k]!;
        for (let n = 0; n < cols; n++) reference[m * cols + n]! += a * hostB[k * cols + n]!;
      }
    }
    return {
      a: ctx.upload(hostA, [rows, depth], 'f32', 'autotune A'),
      b: ctx.upload(hostB, [depth, cols], 'f32', 'autotune B'),
      reference,
    };
  });
  const timings: Record<string, number> = {};
  const dropped: string[] = [];
  const bestPerShape = products.map(() => Infinity);
  try {
    candidates: for (const [name, tiles] of Object.entries(GEMM_CANDIDATES)) {
      let total = 0;
      for (const [shape, { a, b, reference }] of products.entries()) {
        // The first run compiles the pipeline and is the one checked.
        const first = gemm(ctx, a, b, tiles);
        const out = await ctx.read(first);
        first.release();
        if (relativeL2(out, reference) > 1e-5) continue candidates;
        const fastest = await fastestRun(ctx, runs, () => gemm(ctx, a, b, tiles));
        if (fastest > HOPELESS * bestPerShape[shape]!) {
          dropped.push(name);
          continue candidates;
        }
        bestPerShape[shape] = Math.min(bestPerShape[shape]!, fastest);
        total += fastest;
      }
      timings[name] = total;
    }
  } finally {
    for (const { a, b } of products) {
      a.release();
      b.release();
    }
  }
  return { timings, dropped };
}
