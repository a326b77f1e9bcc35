// The benchmark core, the same in Node (Dawn) and in the browser page (bench/browser): per-kernel GPU times for
// every distinct ResNet50 layer shape, a plain GEMM and a streaming kernel as the roofline, and end-to-end
// latencies of the session API. It takes a GpuContext and the weights; it never imports Node.
import type { GpuContext, PipelineStats } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { parameterNames } from '../src/model/architecture.ts';
import { applySettings, type ReductionStyle } from '../src/kernels/config.ts';
import { autotuneGemm, describeGemmTuning, type GemmTuning } from '../src/kernels/gemm/tuner.ts';
import type { GemmOperands } from '../src/kernels/gemm/tiles.ts';
import { describeKernelConfig } from '../src/tuning.ts';
import { Wgcam, applyPrecision, type HostTensor } from '../src/session.ts';
import { median, rates } from './accounting.ts';
import { bandwidthCase, gemmCase, layerCases, randomData, type KernelCase, type KernelKind, type Pass } from './kernels.ts';
import { quickConvs, resnet50Shapes } from './shapes.ts';
import type { ScorecamBench } from './scorecam.ts';
import type { MethodsBench } from './methods.ts';

export const SOFTWARE_NOTE = 'software adapter: figures say little about a GPU';

export type E2eTask = 'forward' | 'gradcam' | 'input_grad' | 'train_step';
export const E2E_TASKS: readonly E2eTask[] = ['forward', 'gradcam', 'input_grad', 'train_step'];
/** End-to-end warm-up after the first call: calls until this much time has passed (or the cap). */
const E2E_WARMUP_MS = 1000;
const E2E_WARMUP_MAX_RUNS = 50;

export interface BenchConfig {
  /** Images per batch (the kernels' N and the end-to-end input). */
  batch: number;
  /** Input height and width (224 for the real figures; tests use less). */
  size: number;
  /** Timed runs per kernel (after one untimed warm-up). */
  runs: number;
  /** Timed runs per end-to-end task (after an untimed warm-up: the first call, then E2E_WARMUP_MS of calls). */
  e2eRuns: number;
  quick: boolean;
  /** Side of the roofline GEMM. */
  gemmSize: number;
  /** Side of a second, larger roofline GEMM, timed on hardware adapters only (a software adapter takes minutes). */
  largeGemmSize: number | null;
  /** MiB streamed by the bandwidth kernel. */
  bandwidthMiB: number;
  /** Which end-to-end tasks to run. */
  e2e: readonly E2eTask[];
  /** 'cpu' forces CPU-side timing even where timestamp-query exists. */
  timing: 'auto' | 'cpu';
  /** GEMM tiles for every conv and linear kernel: 'auto' (the autotuner measures) or a GEMM_CANDIDATES key. */
  tiles?: string;
  /** Per-channel reductions: 'auto' (the adapter class's prior), or 'tree' / 'serial' forced. */
  reductions?: 'auto' | ReductionStyle;
  /** Windowed convs on the untiled core: 'auto' (the prior), window kernels wherever they fit, or GEMM forms. */
  convForms?: 'auto' | 'window' | 'gemm';
  /** GEMM operands of every conv and linear kernel (f16 needs shader-f16). */
  precision: GemmOperands;
  /** The forward's and input gradient's split-K on hardware adapters: the planner's rule, or off to compare. */
  splitK?: 'auto' | 'off';
  /** Only the cases whose name contains one of these (for a developer looking at one kernel). */
  filter?: readonly string[];
  /** Skip the per-layer cases (roofline and end-to-end only). */
  skipLayers?: boolean;
  /**
   * ScoreCAM's row (bench/scorecam.ts): its masked forwards at layer4 in batches of `batchSize`, over `channels`
   * of layer4's 2048 (all by default; 64 with --quick). Absent: not timed.
   */
  scorecam?: { batchSize: number; channels: number };
  /** One end-to-end row per CAM method (bench/methods.ts), at `layer`. */
  methods?: { names: string[]; layer: string };
}

export function benchConfig(options: { quick?: boolean; batch?: number; runs?: number; size?: number } = {}): BenchConfig {
  const quick = options.quick === true;
  const runs = options.runs ?? (quick ? 3 : 7);
  return {
    batch: options.batch ?? 1,
    size: options.size ?? 224,
    runs,
    e2eRuns: options.runs ?? (quick ? 1 : 3),
    quick,
    gemmSize: quick ? 512 : 1024,
    largeGemmSize: quick ? null : 4096,
    bandwidthMiB: quick ? 16 : 64,
    e2e: E2E_TASKS,
    timing: 'auto',
    precision: 'f32',
  };
}

export type TimingSource = 'gpu' | 'cpu';

export interface KernelResult {
  /** e.g. `conv fwd 3x3/1 64->64 56x56`; every conv entry's name starts with `conv`. */
  name: string;
  kind: KernelKind;
  pass: Pass;
  shape: string;
  /** ResNet50 module paths that run this problem; `count` of them per forward pass. */
  layers: string[];
  count: number;
  /** Median time of one call (all its dispatches), milliseconds. */
  ms: number;
  /** Every timed run, milliseconds. */
  runs_ms: number[];
  flops: number;
  bytes: number;
  gflops: number;
  gbps: number;
  /** The dispatches one call made, by label (e.g. `conv2d dw ... split 4`, `split_k_reduce`). */
  dispatches: string[];
  timing: TimingSource;
}

export interface E2eResult {
  forward_ms: number | null;
  gradcam_ms: number | null;
  input_grad_ms: number | null;
  train_step_ms: number | null;
  /** The first call of each task: includes pipeline compilation and first-touch allocation. */
  warmup_ms: Partial<Record<E2eTask, number>>;
  /** Untimed calls before the timed ones, the first included (absent in results from before it varied: 1). */
  warmup_runs?: Partial<Record<E2eTask, number>>;
  runs_ms: Partial<Record<E2eTask, number[]>>;
  /** Pipelines the first call of each task compiled on demand (those the kernels section had not), absent before. */
  pipelines?: Partial<Record<E2eTask, PipelineFigures>>;
  timing: 'wall-clock';
  what: Record<E2eTask, string>;
}

/**
 * Pipelines compiled on demand: how many and their wall clock summed (GpuContext.pipelineStats); for a whole
 * run also the slowest compile and its kernel.
 */
export interface PipelineFigures {
  count: number;
  compile_ms: number;
  slowest_ms?: number;
  slowest?: string;
  /** The driver compiles at a pipeline's first dispatch (lavapipe): making one compiles nothing, no slowest named. */
  at_first_dispatch?: boolean;
}

function pipelineFigures(after: PipelineStats, before?: PipelineStats, atFirstDispatch = false): PipelineFigures {
  if (before) return { count: after.count - before.count, compile_ms: after.compileMs - before.compileMs };
  if (atFirstDispatch) return { count: after.count, compile_ms: after.compileMs, at_first_dispatch: true };
  return { count: after.count, compile_ms: after.compileMs, slowest_ms: after.slowestMs, slowest: after.slowestLabel };
}

export interface PeerResult {
  forward_ms: number | null;
  gradcam_ms?: number | null;
  input_grad_ms?: number | null;
  warmup_ms?: Record<string, number>;
  /** Relative L2 distance of the peer's logits from wgcam's on the same input and weights. */
  logits_rel_l2?: number | null;
  /** wgcam's end-to-end median over the peer's, per task both ran (under 1: wgcam is faster). */
  wgcam_over_peer?: Partial<Record<PeerTask, number>>;
  version?: string;
  backend?: string;
  /** Why the peer did not run, in one line. */
  error?: string;
  notes?: string[];
}

/** The end-to-end tasks a peer may run beside wgcam. */
export const PEER_TASKS = ['forward', 'gradcam', 'input_grad'] as const;
export type PeerTask = (typeof PEER_TASKS)[number];

/** wgcam's median over the peer's for each task both timed. */
export function wgcamOverPeer(e2e: E2eResult, peer: PeerResult): Partial<Record<PeerTask, number>> {
  const out: Partial<Record<PeerTask, number>> = {};
  for (const t of PEER_TASKS) {
    const ours = e2e[`${t}_ms`];
    const theirs = peer[`${t}_ms`];
    if (ours !== null && theirs !== null && theirs !== undefined && theirs > 0) out[t] = ours / theirs;
  }
  return out;
}

/** Put the peers' results into the bench result, each with its ratios. */
export function attachPeers(result: BenchResult, peers: Record<string, PeerResult>): void {
  for (const peer of Object.values(peers)) peer.wgcam_over_peer = wgcamOverPeer(result.e2e, peer);
  result.peers = peers;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
  /** `software adapter: figures say little about a GPU`, or `hardware adapter`. */
  note: string;
  timestamp_query: boolean;
}

export interface BenchResult {
  tool: 'wgcam bench';
  schema: 1;
  date: string;
  surface: 'node' | 'browser';
  user_agent?: string;
  adapter: AdapterInfo;
  /** Where per-kernel times come from: GPU timestamp queries, or CPU time around queue.onSubmittedWorkDone. */
  timing: TimingSource;
  batch: number;
  size: number;
  runs: number;
  e2e_runs: number;
  quick: boolean;
  weights: string;
  /** `gemm_large`: the larger GEMM, on hardware adapters (absent in results from before it). */
  roofline: { gemm: KernelResult | null; gemm_large?: KernelResult | null; bandwidth: KernelResult | null };
  kernels: KernelResult[];
  /** Per-pass sums over the whole network (each distinct shape's median times its count), when complete. */
  network: { conv_forward_ms: number | null; conv_input_grad_ms: number | null; conv_weight_grad_ms: number | null };
  e2e: E2eResult;
  /** The GEMM tiles every conv and linear kernel ran on, and the autotuner's timings when it measured. */
  gemm_tiles: GemmTuning;
  /** The kernel config every kernel ran with (src/tuning.ts: describeKernelConfig; absent in older results). */
  kernel_config?: string;
  /** Older results: the reduction and conv form tuners' choices, before static priors replaced them. */
  reductions?: { choice: string; source: string };
  conv_forms?: { source: string; choices: Record<string, string> };
  /** GEMM operands of every conv and linear kernel (absent in results from before the f16 path: f32). */
  precision?: GemmOperands;
  /** The forward's and input gradient's split-K setting (absent in results from before it). */
  split_k?: 'auto' | 'off';
  peers: Record<string, PeerResult>;
  /** ScoreCAM's throughput against a plain batched forward (absent when not asked for). */
  scorecam?: ScorecamBench;
  methods?: MethodsBench;
  notes: string[];
  /** Every pipeline the run compiled on demand, all sections together (absent in results from before it). */
  pipelines?: PipelineFigures;
  wall_s: number;
}

export type Log = (line: string) => void;

export function describeAdapterInfo(ctx: GpuContext): AdapterInfo {
  const a = ctx.adapter;
  return {
    vendor: a.vendor,
    architecture: a.architecture,
    device: a.device,
    description: a.description,
    software: a.software,
    note: a.software ? SOFTWARE_NOTE : 'hardware adapter',
    timestamp_query: ctx.hasTimestamps,
  };
}

/** Time one case: an untimed warm-up (pipeline compilation, first touch), then `runs` timed calls. */
export async function timeCase(ctx: GpuContext, c: KernelCase, runs: number, source: TimingSource): Promise<KernelResult> {
  const p = c.setup(ctx);
  const release = (ts: Tensor[]) => ts.forEach((t) => t.release());
  const times: number[] = [];
  let dispatches: string[] = [];
  try {
    release(p.run());
    await ctx.sync();
    for (let r = 0; r < runs; r++) {
      if (source === 'gpu') {
        ctx.setProfiling(true);
        let outs: Tensor[] = [];
        try {
          outs = p.run();
          const t = await ctx.collectTimings();
          times.push(t.reduce((sum, k) => sum + k.ms, 0));
          dispatches = t.map((k) => k.label);
        } finally {
          ctx.setProfiling(false);
          release(outs);
        }
      } else {
        await ctx.sync();
        const t0 = performance.now();
        const outs = p.run();
        await ctx.sync();
        times.push(performance.now() - t0);
        release(outs);
      }
    }
  } finally {
    p.free();
  }
  const ms = median(times);
  return {
    name: c.name,
    kind: c.kind,
    pass: c.pass,
    shape: c.shape,
    layers: c.layers,
    count: c.layers.length,
    ms,
    runs_ms: times,
    flops: c.cost.flops,
    bytes: c.cost.bytes,
    ...rates(c.cost, ms),
    dispatches,
    timing: source,
  };
}

/** The cases a configuration times, in order: roofline first (the GEMM, the stream, the large GEMM on a hardware adapter), then layers. */
export function benchCases(config: BenchConfig, software = true): { roofline: KernelCase[]; layers: KernelCase[]; completeConvs: boolean } {
  const shapes = resnet50Shapes(config.batch, config.size);
  const convs = config.quick ? quickConvs(shapes.convs) : shapes.convs;
  let layers = config.skipLayers ? [] : layerCases(shapes, convs);
  if (config.filter && config.filter.length > 0) layers = layers.filter((c) => config.filter!.some((f) => c.name.includes(f)));
  return {
    roofline: [gemmCase(config.gemmSize), bandwidthCase(config.bandwidthMiB), ...(config.largeGemmSize && !software ? [gemmCase(config.largeGemmSize)] : [])],
    layers,
    completeConvs: !config.quick && !config.filter?.length && !config.skipLayers,
  };
}

export interface RunOptions {
  config: BenchConfig;
  /** Weights for the end-to-end tasks (the synthetic ones do the same work as the real ones). */
  weights: Map<string, Float32Array>;
  weightsName: string;
  surface: 'node' | 'browser';
  log?: Log;
  userAgent?: string;
  /** The surface's own notes for the report (Node: how it waits for Dawn, lavapipe's threads). */
  notes?: string[];
}

export interface RunOutput {
  result: BenchResult;
  /** wgcam's logits on `input` (from the first end-to-end forward), for the peers' equal-work check. */
  logits: Float32Array | null;
  input: HostTensor;
}

/** The deterministic benchmark input: [N, 3, size, size], roughly a normalised image's range. */
export function benchInput(batch: number, size: number): HostTensor {
  return { shape: [batch, 3, size, size], data: randomData(batch * 3 * size * size, 12345, -2, 2) };
}

/** Pictures for the overlay: a smooth pattern, N x H x W x 3 bytes. */
export function benchPictures(batch: number, size: number): Uint8Array[] {
  return Array.from({ length: batch }, (_, n) => {
    const p = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 3;
        p[i] = (x * 255) / size;
        p[i + 1] = (y * 255) / size;
        p[i + 2] = (n * 97 + x + y) & 255;
      }
    }
    return p;
  });
}

export async function runBench(ctx: GpuContext, options: RunOptions): Promise<RunOutput> {
  const started = performance.now();
  const { config } = options;
  const log = options.log ?? (() => {});
  const source: TimingSource = config.timing === 'cpu' || !ctx.hasTimestamps ? 'cpu' : 'gpu';
  const adapter = describeAdapterInfo(ctx);
  const notes: string[] = [...(options.notes ?? [])];
  if (adapter.software) notes.push(`${SOFTWARE_NOTE} (${adapter.description})`);
  if (source === 'cpu') {
    notes.push(
      ctx.hasTimestamps
        ? 'timing: "cpu" (forced): kernel times are CPU time around queue.onSubmittedWorkDone, including submit and wake-up latency'
        : 'timing: "cpu": the adapter has no timestamp-query, so kernel times are CPU time around queue.onSubmittedWorkDone, including submit and wake-up latency',
    );
  }
  if (config.quick) notes.push('--quick: a subset of the conv shapes (one of each kind), fewer runs, a smaller roofline GEMM');
  log(`${adapter.description} (${adapter.note}); kernel timing: ${source === 'gpu' ? 'GPU timestamp-query' : 'CPU around onSubmittedWorkDone'}`);
  // Measured afresh on every run (no store): the report says what the tiles were chosen from.
  const gemmTiles = await autotuneGemm(ctx, config.tiles && config.tiles !== 'auto' ? { force: config.tiles } : {});
  // After tuning, which measures f32 candidates; every kernel and task below then runs with these operands.
  applyPrecision(ctx, config.precision);
  log(`gemm tiles: ${describeGemmTuning(gemmTiles)}`);
  // The other choices are the adapter class's priors (src/kernels/config.ts) unless the flags force them.
  applySettings(ctx, {
    ...(config.reductions && config.reductions !== 'auto' ? { reductions: config.reductions } : {}),
    ...(config.convForms && config.convForms !== 'auto' ? { windows: config.convForms } : {}),
    ...(config.splitK === 'off' ? { splitK: 'off' as const } : {}),
  });
  const kernelConfig = describeKernelConfig(ctx.kernels);
  log(`kernels: ${kernelConfig}`);

  // ---- kernels --------------------------------------------------------------------------------------------
  const { roofline, layers, completeConvs } = benchCases(config, adapter.software);
  const total = roofline.length + layers.length;
  let done = 0;
  const timeOne = async (c: KernelCase): Promise<KernelResult> => {
    const t0 = performance.now();
    const r = await timeCase(ctx, c, config.runs, source);
    done++;
    log(`[${done}/${total}] ${r.name}: ${fmtMs(r.ms)} ms, ${r.gflops.toFixed(2)} GFLOP/s, ${r.gbps.toFixed(2)} GB/s (${((performance.now() - t0) / 1000).toFixed(1)} s with warm-up)`);
    return r;
  };
  const gemmResult = await timeOne(roofline[0]!);
  const bandwidthResult = await timeOne(roofline[1]!);
  const largeGemmResult = roofline[2] ? await timeOne(roofline[2]) : null;
  const kernels: KernelResult[] = [];
  for (const c of layers) kernels.push(await timeOne(c));

  const networkSum = (pass: Pass): number | null => {
    if (!completeConvs) return null;
    return kernels.filter((k) => k.kind === 'conv' && k.pass === pass).reduce((s, k) => s + k.ms * k.count, 0);
  };

  // ---- end to end -----------------------------------------------------------------------------------------
  const e2e: E2eResult = {
    forward_ms: null,
    gradcam_ms: null,
    input_grad_ms: null,
    train_step_ms: null,
    warmup_ms: {},
    runs_ms: {},
    timing: 'wall-clock',
    what: {
      forward: 'Wgcam.classify: forward, softmax, top-5, logits read back',
      gradcam: "Wgcam.gradcam at layer4, target 'top': forward, backward to layer4, CAM, resize, colormap, overlay; everything read back",
      input_grad: "Wgcam.gradcam at layer4 with inputGrad: forward and backward all the way to the input, read back",
      train_step: 'Wgcam.trainStep: train-mode forward, cross-entropy, backward to every parameter, all gradients read back',
    },
  };
  const input = benchInput(config.batch, config.size);
  let logits: Float32Array | null = null;
  if (config.e2e.length > 0) {
    const session = Wgcam.fromContext(ctx, options.weights, undefined, { tuning: false, precision: config.precision }); // tiles already chosen above
    const gpuInput = ctx.upload(input.data, input.shape, 'f32', 'bench input');
    const pictures = benchPictures(config.batch, config.size);
    const labels = Array.from({ length: config.batch }, (_, n) => (n * 7) % 1000);
    const params = parameterNames();
    const tasks: Record<E2eTask, () => Promise<unknown>> = {
      forward: async () => {
        const r = await session.classify(gpuInput, { topK: 5 });
        logits ??= r.logits.data;
      },
      gradcam: () => session.gradcam(gpuInput, { layers: ['layer4'], targets: 'top', pictures }),
      input_grad: () => session.gradcam(gpuInput, { layers: ['layer4'], targets: 'top', inputGrad: true }),
      // Last: train mode updates the running statistics.
      train_step: () => session.trainStep(gpuInput, labels, { params, inputGrad: false }),
    };
    try {
      for (const task of E2E_TASKS) {
        if (!config.e2e.includes(task)) continue;
        const t0 = performance.now();
        const before = ctx.pipelineStats;
        await tasks[task]();
        const compiled = performance.now();
        e2e.warmup_ms[task] = compiled - t0;
        (e2e.pipelines ??= {})[task] = pipelineFigures(ctx.pipelineStats, before);
        // A GPU runs a task in milliseconds, and its clocks and the JIT take more than one call to settle: on an
        // H200, forward ran in 80, 59, then 23 ms after its first call, and in 86, 69, then 25 ms when the first
        // call's compilation counted towards this second. On a software adapter one more call passes it.
        let warmRuns = 1;
        while (performance.now() - compiled < E2E_WARMUP_MS && warmRuns < E2E_WARMUP_MAX_RUNS) {
          await tasks[task]();
          warmRuns++;
        }
        (e2e.warmup_runs ??= {})[task] = warmRuns;
        log(`e2e ${task}: warm-up ${fmtMs(e2e.warmup_ms[task]!)} ms` + (warmRuns > 1 ? `, then ${warmRuns - 1} more untimed call${warmRuns > 2 ? 's' : ''}` : ''));
        const times: number[] = [];
        for (let r = 0; r < config.e2eRuns; r++) {
          const t1 = performance.now();
          await tasks[task]();
          times.push(performance.now() - t1);
        }
        e2e.runs_ms[task] = times;
        e2e[`${task}_ms`] = median(times);
        log(`e2e ${task}: median ${fmtMs(median(times))} ms of ${times.length} (${times.map(fmtMs).join(', ')})`);
      }
    } finally {
      gpuInput.release();
      session.model.destroy();
    }
  }

  let scorecam: ScorecamBench | undefined;
  if (config.scorecam) {
    const { benchScorecam } = await import('./scorecam.ts');
    const { batchSize, channels } = config.scorecam;
    scorecam = await benchScorecam(ctx, options.weights, { size: config.size, batchSize, channels, runs: config.e2eRuns }, log);
  }

  let methods: MethodsBench | undefined;
  if (config.methods) {
    const { benchMethods } = await import('./methods.ts');
    methods = await benchMethods(ctx, options.weights, { ...config.methods, size: config.size, runs: config.e2eRuns }, log);
  }

  const result: BenchResult = {
    tool: 'wgcam bench',
    schema: 1,
    date: new Date().toISOString(),
    surface: options.surface,
    ...(options.userAgent ? { user_agent: options.userAgent } : {}),
    adapter,
    timing: source,
    batch: config.batch,
    size: config.size,
    runs: config.runs,
    e2e_runs: config.e2eRuns,
    quick: config.quick,
    weights: options.weightsName,
    roofline: { gemm: gemmResult, ...(largeGemmResult ? { gemm_large: largeGemmResult } : {}), bandwidth: bandwidthResult },
    kernels,
    network: { conv_forward_ms: networkSum('forward'), conv_input_grad_ms: networkSum('input_grad'), conv_weight_grad_ms: networkSum('weight_grad') },
    e2e,
    gemm_tiles: gemmTiles,
    kernel_config: kernelConfig,
    precision: config.precision,
    split_k: config.splitK ?? 'auto',
    peers: {},
    ...(scorecam ? { scorecam } : {}),
    ...(methods ? { methods } : {}),
    notes,
    pipelines: pipelineFigures(ctx.pipelineStats, undefined, ctx.kernels.compileAhead === 'dispatch'),
    wall_s: (performance.now() - started) / 1000,
  };
  return { result, logits, input };
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

