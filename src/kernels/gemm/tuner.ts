// The GEMM tile tuner: every conv and linear kernel is a GEMM, and GPUs differ in the tiles they run fastest
// (workgroup size, registers, memory), so the choice among GEMM_TILES is measured on the adapter at hand and
// remembered per adapter. The adapter class's prior (config.ts) is the starting point and the choice a
// candidate must clearly beat.
//
// Each candidate runs one plain GEMM; its result is checked against a float64 CPU product before it is timed,
// so a tile shape that miscompiles on some driver can never be chosen.
import type { GpuContext } from '../../gpu/context.ts';
import { relativeL2 } from '../../metrics.ts';
import { GEMM_TILES_STORE_KEY, KERNEL_PRIORS, configureKernels } from '../config.ts';
import { fastestRun, formatRunMs } from '../run_timing.ts';
import { gemm } from './gemm.ts';
import { GEMM_TILES, tilesName } from './tiles.ts';

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
  /** A key of GEMM_TILES. */
  choice: string;
  /** How it was decided. */
  source: 'measured' | 'cached' | 'forced' | 'prior';
  /** Per candidate, when measured: milliseconds of its fastest run on each tuning shape, summed. */
  timings: Record<string, number>;
  /** Candidates dropped after one shape because they were far behind the best (see HOPELESS), when measured. */
  dropped?: string[];
}

/**
 * The choice a measured candidate must clearly beat: the adapter class's prior (config.ts), which the whole
 * network runs fastest on where three plain products only approximate it. Within `clearWin` of the prior's
 * time, the prior is the better bet.
 */
export interface TuningPrior {
  /** A key of GEMM_TILES. */
  choice: string;
  /** A candidate displaces the prior only when it takes less than this fraction of the prior's time. */
  clearWin: number;
}

/**
 * GPUs: within 5% either choice costs little. CPU adapters: the products understate the untiled core, which runs
 * the network's convs faster than they show (bench/NOTES.md, "The GEMM tuner's prior per kind of adapter").
 */
export function tuningPrior(ctx: GpuContext): TuningPrior {
  const cls = ctx.kernels.adapterClass;
  return { choice: tilesName(KERNEL_PRIORS[cls].tiles), clearWin: cls === 'gpu' ? 0.95 : 0.75 };
}

/** A winner's fitted sibling must be beaten by this margin (see chooseCandidate). */
const CLEAR_WIN = 0.95;
/**
 * A candidate whose fastest run on a shape takes more than this multiple of the best time so far on that shape
 * is not measured further. Not lower: on shared CPU cores one kernel's runs can come in two modes far apart
 * (bench/NOTES.md, "A steadier GEMM tuner on shared CPU cores").
 */
const HOPELESS = 3;
/** Timed runs per candidate and shape (the fastest counts; same entry of bench/NOTES.md). */
const DEFAULT_RUNS = 5;

/** `tiled-64x64 (measured: tiled-64x64 <ms>, tiled-128x128 <ms>, ...)`: for logs and reports. */
export function describeGemmTuning(t: GemmTuning): string {
  const times = [
    ...Object.entries(t.timings).map(([name, ms]) => `${name} ${formatRunMs(ms)}`),
    ...(t.dropped ?? []).map((name) => `${name} dropped`),
  ].join(', ');
  return `${t.choice} (${t.source}${times ? `: ${times}` : ''})`;
}

const DEFAULT_TUNING_SHAPES = [[128, 784, 256], [256, 196, 512], [512, 49, 1024]] as const;

export function tuningKey(ctx: GpuContext): string {
  return adapterTuningKey(GEMM_TILES_STORE_KEY, ctx);
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
  /** Use this candidate without measuring (a key of GEMM_TILES). */
  force?: string;
  /**
   * The GEMMs that are timed, [M, N, K] each; a candidate's time is their sum. Default: three 51-MFLOP products
   * shaped like ResNet50's convs at batch 1: layer2 (128 x 784 x 256), layer3 (256 x 196 x 512) and layer4
   * (512 x 49 x 1024). The layer3 and layer4 shapes are where fitted tiles save work (196 and 49 columns),
   * and they have too few columns for wide tiles to pay anywhere.
   */
  shapes?: ReadonlyArray<readonly [number, number, number]>;
  /** Timed runs per candidate and shape (default DEFAULT_RUNS, 5; the fastest counts). */
  runs?: number;
  /** Never measure: without a stored choice, keep the adapter class's prior (source 'prior'). */
  storedOnly?: boolean;
}

/** Choose the context's GEMM tiles: from the store, by measuring, or as forced; the choice applies to `ctx`. */
export async function autotuneGemm(ctx: GpuContext, options: AutotuneOptions = {}): Promise<GemmTuning> {
  if (options.force !== undefined) {
    const tiles = GEMM_TILES[options.force];
    if (!tiles) throw new Error(`unknown GEMM tiles "${options.force}": use one of ${Object.keys(GEMM_TILES).join(', ')}`);
    configureKernels(ctx, { tiles });
    return { choice: options.force, source: 'forced', timings: {} };
  }
  const key = tuningKey(ctx);
  const cached = await options.store?.get(key).catch(() => undefined);
  if (cached !== undefined && GEMM_TILES[cached]) {
    configureKernels(ctx, { tiles: GEMM_TILES[cached] });
    return { choice: cached, source: 'cached', timings: {} };
  }
  if (options.storedOnly) return { choice: tilesName(ctx.kernels.tiles), source: 'prior', timings: {} };
  const { timings, dropped } = await measureCandidates(ctx, options.shapes ?? DEFAULT_TUNING_SHAPES, options.runs ?? DEFAULT_RUNS);
  const choice = chooseCandidate(timings, tuningPrior(ctx));
  configureKernels(ctx, { tiles: GEMM_TILES[choice]! });
  await options.store?.set(key, choice).catch(() => undefined); // a read-only cache only costs a re-measure
  return { choice, source: 'measured', timings, ...(dropped.length > 0 ? { dropped } : {}) };
}

/**
 * The candidate to use, from the tuner's timings: the fastest, with two priors that a candidate must beat
 * clearly to displace, since within timing noise they are the better bet:
 * - the adapter class's prior (`tuningPrior`), the whole network's choice rather than three products' (it wins
 *   any tie it is in);
 * - a winner's fitted sibling (the same core with `fit`; under CLEAR_WIN): fitted tiles compute no padded
 *   outputs on layer3's 196 and layer4's 49 pixels, which these plain products understate (bench/NOTES.md,
 *   "The tuner prefers a winner's fitted sibling within 5%").
 */
export function chooseCandidate(timings: Record<string, number>, prior: TuningPrior = { choice: 'tiled-64x64', clearWin: 0.95 }): string {
  const ranked = Object.entries(timings).sort((x, y) => x[1] - y[1]);
  if (ranked.length === 0) throw new Error('GEMM autotuner: no candidate produced a correct product');
  const [fastest, fastestTime] = ranked[0]!;
  const priorTime = timings[prior.choice];
  if (fastest === prior.choice || (priorTime !== undefined && fastestTime > prior.clearWin * priorTime)) return prior.choice;
  const tiles = GEMM_TILES[fastest];
  if (tiles === undefined || tiles.fit) return fastest;
  const sibling = Object.entries(GEMM_TILES).find(([, t]) => t.fit === true && t.core === tiles.core)?.[0];
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
    candidates: for (const [name, tiles] of Object.entries(GEMM_TILES)) {
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
