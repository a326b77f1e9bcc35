// The library's front door, shared by the CLI and the web app: one GPU context, one model, and the jobs
// users run (classify, Grad-CAM, a training step). Everything here works on GPU tensors and returns plain
// typed arrays in PyTorch's layout (NCHW).
import { createGpuContext, deviceLostError, type GpuContext, type GpuContextOptions, type RecordedPipeline } from './gpu/context.ts';
import { Tensor } from './gpu/tensor.ts';
import { softmax } from './kernels/reduce/softmax.ts';
import { configureKernels, type KernelConfig } from './kernels/config.ts';
import type { GemmOperands } from './kernels/gemm/tiles.ts';
import type { GemmTuning } from './kernels/gemm/tuner.ts';
import { memoryTuningStore, tuneAdapter, type AdapterTuning, type TuningOptions, type TuningStore } from './tuning.ts';
import { ResNet50, type WeightMap } from './model/resnet50.ts';
import { checkFinite, checkInputShape } from './input_checks.ts';
import { Tape } from './model/tape.ts';
import { WgcamError } from './errors.ts';
import { checkParams, checkTargets, explainNow, gradcamNow, type ExplainOptions, type ExplainResult, type GradCamOptions, type GradCamResult } from './cam/explain.ts';
import { readHostAll, topK, type HostTensor, type Prediction } from './host.ts';
import { softmaxCrossEntropy } from './kernels/reduce/softmax_cross_entropy.ts';


/** `--precision` and the like: f32 or f16 GEMM operands (default f32). */
export function parsePrecision(value: unknown): GemmOperands {
  const precision = String(value ?? 'f32');
  if (precision !== 'f32' && precision !== 'f16') throw new WgcamError('BAD_ARGUMENT', `--precision must be f32 or f16, got "${precision}"`);
  return precision;
}

/** Set the GEMM operand precision of `ctx`; f16 needs shader-f16 on its device. */
export function applyPrecision(ctx: GpuContext, precision: GemmOperands): void {
  parsePrecision(precision); // callers from plain JavaScript may pass anything
  if (precision === 'f16' && !ctx.hasF16) {
    throw new WgcamError('NO_SHADER_F16', `f16 precision needs shader-f16, which ${ctx.adapter.description || 'this adapter'} does not offer: use f32`);
  }
  configureKernels(ctx, { operands: precision });
}

export interface ClassifyResult {
  logits: HostTensor;
  probabilities: HostTensor;
  /** Per image, the top-K classes by probability. */
  top: Prediction[][];
  /** Captured module outputs by path. */
  activations: Map<string, HostTensor>;
}

export type { TuningOptions } from './tuning.ts';
export { IMAGENET_LABELS, readHost, readHostAll, topK, type HostTensor, type Prediction } from './host.ts';
export type { CamLayerResult, ExplainOptions, ExplainResult, GradCamOptions, GradCamResult, MethodResult } from './cam/explain.ts';

export interface SessionOptions {
  /**
   * The GEMM tile tuner's store and the settings users force (tuning.ts), or false to run on the adapter class's
   * priors untuned.
   */
  tuning?: TuningOptions | false;
  /**
   * The operands of every GEMM (conv forward and gradients, linear): 'f32' (default) or 'f16', which needs the
   * adapter's shader-f16. Products and sums are f32 either way; README.md gives f16's measured accuracy.
   */
  precision?: GemmOperands;
}

export class Wgcam {
  private currentCtx: GpuContext;
  private currentModel: ResNet50;
  /** Jobs run one at a time: two calls started together are queued, never interleaved on the GPU. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Device recoveries so far (a lost device is replaced on the next call). */
  recoveries = 0;
  /** The tuner's choice for the current device (null until the first call, or `tune()`, makes it). */
  private tuning: AdapterTuning | null = null;
  /** Where the tuner keeps its choice when the options give no store: for this session's devices only. */
  private readonly sessionStore: TuningStore = memoryTuningStore();

  private constructor(
    ctx: GpuContext,
    private readonly weights: WeightMap,
    private readonly newContext: (() => Promise<GpuContext>) | null,
    private readonly tuningOptions: TuningOptions | false,
    /** The GEMM operand precision of this session's contexts. */
    readonly precision: GemmOperands,
  ) {
    applyPrecision(ctx, precision);
    this.currentCtx = ctx;
    this.currentModel = ResNet50.load(ctx, weights);
  }

  /** A session on `gpu` (navigator.gpu, or Dawn's in Node). A lost device is recreated on the next call. */
  static async create(gpu: GPU, weights: WeightMap, options: GpuContextOptions & SessionOptions = {}): Promise<Wgcam> {
    const ctx = await createGpuContext(gpu, options);
    return new Wgcam(ctx, weights, () => createGpuContext(gpu, options), options.tuning ?? {}, options.precision ?? 'f32');
  }

  /** A session on an existing context; `newContext` (optional) makes a replacement after device loss. */
  static fromContext(
    ctx: GpuContext,
    weights: WeightMap,
    newContext?: () => Promise<GpuContext>,
    options: SessionOptions = {},
  ): Wgcam {
    return new Wgcam(ctx, weights, newContext ?? null, options.tuning ?? {}, options.precision ?? 'f32');
  }

  /**
   * Choose the GEMM tiles for this adapter now: from the tuning store, or by timing the candidates once (then
   * stored). Returns null when tuning is off.
   */
  tune(): Promise<GemmTuning | null> {
    return this.enqueue(() => this.tuneIfNeeded(true));
  }

  /** The tiles the next job runs with, without measuring: the stored choice, or the priors ('prior'). */
  currentTuning(): Promise<GemmTuning | null> {
    return this.enqueue(() => this.tuneIfNeeded(false));
  }

  /** What the last job waited on before its kernels ran (tests and progress displays read it). */
  lastJob: JobReport | null = null;
  /** Measurements of the tiles started so far, and whether one is running (see JobReport.waitedOnTuning). */
  private measurements = 0;
  private measuring = false;
  /** The compiles `prepare` started; the next job waits for them instead of compiling on demand. */
  private compiling: Promise<void> = Promise.resolve();

  private async tuneIfNeeded(measure: boolean): Promise<GemmTuning | null> {
    if (this.tuningOptions === false) return null;
    const schedule = this.tuningOptions.measure ?? 'after-first-job';
    const mayMeasure = measure || schedule === 'before-first-job';
    if (this.tuning && (this.tuning.gemm.source !== 'prior' || !mayMeasure)) return this.tuning.gemm;
    // Without a store of the caller's, the session's own: a device that replaces a lost one on the same adapter
    // reuses the choice, so it computes as its predecessor did and spends no time measuring again.
    const options = { ...this.tuningOptions, store: this.tuningOptions.store ?? this.sessionStore, storedOnly: !mayMeasure };
    if (mayMeasure) {
      this.measurements++;
      this.measuring = true;
    }
    try {
      this.tuning = await tuneAdapter(this.currentCtx, options);
    } finally {
      this.measuring = false;
    }
    if (this.tuning.gemm.source === 'prior' && schedule === 'after-first-job') this.measureAfterThisJob = true;
    return this.tuning.gemm;
  }

  /** Set when a job runs on the priors and the schedule measures after it: the job queues the measurement. */
  private measureAfterThisJob = false;

  /**
   * Compile ahead, in parallel, every pipeline that a job on an input of `shape` will use
   * (GpuContext.compileAhead): the job's kernels are rehearsed without running. The next job waits for these
   * compiles instead of compiling on demand, one at a time. Call it as soon as the input's shape is known, and
   * decode and upload the input meanwhile; the promise resolves, with the number of pipelines, when the
   * rehearsal is over (the compiles may still run), and nothing else may use `ctx` before it does. `gradcam`
   * options should include `pictures` when the job will (the overlay's kernels).
   */
  prepare(shape: readonly number[], job: PreparedJob): Promise<number> {
    return this.withRehearsal(shape, job, async (encode) => {
      const { pipelines, compiled } = await this.ctx.compileAhead(encode, this.newContext ? { helper: this.newContext } : {});
      // A pipeline that fails to compile ahead fails again, with its error, when the job makes it on demand.
      this.compiling = compiled.catch(() => undefined);
      return pipelines;
    });
  }

  /**
   * The pipelines a job on an input of `shape` would make, without running it (GpuContext.rehearse), each with
   * its first dispatch's bindings: what `prepare` compiles, for diagnostics (`wgcam info --verbose`).
   */
  rehearse(shape: readonly number[], job: PreparedJob): Promise<RecordedPipeline[]> {
    return this.withRehearsal(shape, job, (encode) => this.ctx.rehearse(encode));
  }

  /** In the queue, after any tuning the job would wait for: `use` gets the job, encoded on a placeholder input. */
  private withRehearsal<T>(shape: readonly number[], job: PreparedJob, use: (encode: () => Promise<unknown>) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await this.tuneIfNeeded(false);
      const input = this.ctx.empty(shape, 'f32', 'rehearsal input');
      try {
        return await use(() =>
          job.kind === 'classify' ? this.classifyNow(input, job.options ?? {}) : job.kind === 'gradcam' ? gradcamNow(this.model, input, job.options) : this.trainStepNow(input, job.labels, job.options ?? {}),
        );
      } finally {
        input.release();
      }
    });
  }

  /** The current device's kernel choices (kernels/config.ts): the priors, then what tuning set. */
  get kernels(): KernelConfig {
    return this.currentCtx.kernels;
  }

  get ctx(): GpuContext {
    return this.currentCtx;
  }

  get model(): ResNet50 {
    return this.currentModel;
  }

  /** Forward pass, softmax and top-K; `capture` lists module paths to return (e.g. `layer4`). */
  classify(input: Input, options: { topK?: number; capture?: readonly string[] } = {}): Promise<ClassifyResult> {
    return this.job(input, (t) => this.classifyNow(t, options));
  }

  /**
   * Grad-CAM (pytorch-grad-cam's GradCAM + show_cam_on_image). The gradient is of the sum over images of
   * logits[n, target_n]. Several layers are averaged as pytorch-grad-cam does.
   */
  gradcam(input: Input, options: GradCamOptions): Promise<GradCamResult> {
    return this.job(input, (t) => gradcamNow(this.model, t, options));
  }

  /**
   * Several CAM methods of pytorch-grad-cam's family (src/cam/method.ts's CAM_METHODS: `gradcam`, `hirescam`, ...,
   * or `all`) on one input: one forward, one backward, each method's final map and overlay.
   */
  explain(input: Input, options: ExplainOptions = {}): Promise<ExplainResult> {
    return this.job(input, (t) => explainNow(this.model, t, options));
  }

  /**
   * One training step: batchnorm in train mode (running statistics updated), mean cross-entropy, and the
   * requested gradients. `applySgd` then updates the parameters.
   */
  trainStep(input: Input, labels: readonly number[], options: TrainStepOptions = {}): Promise<TrainStepResult> {
    return this.job(input, (t) => this.trainStepNow(t, labels, options));
  }

  /**
   * Queue a job; before it runs, replace a lost device (new context, weights re-uploaded from the host copies).
   * A host input is uploaded for the job and freed after; a GPU input stays the caller's.
   */
  private job<T>(input: Input, run: (t: Tensor) => Promise<T>): Promise<T> {
    const queuedBehindMeasurement = this.measuring;
    const measurementsBefore = this.measurements;
    const result = this.enqueue(async () => {
      const before = this.ctx.pipelineStats;
      await this.tuneIfNeeded(false);
      await this.compiling;
      const ran = async () => {
        if (!isHostTensor(input)) return run(input);
        checkInputShape(input.shape, 'the input');
        if (input.data.length !== input.shape.reduce((a, b) => a * b, 1)) {
          throw new WgcamError('BAD_INPUT_SHAPE', `the input has ${input.data.length} values for shape [${input.shape.join(',')}]`);
        }
        checkFinite(input.data, input.shape, 'the input');
        const t = this.ctx.upload(input.data, input.shape, 'f32', 'input');
        try {
          return await run(t);
        } finally {
          t.release();
        }
      };
      try {
        return await ran();
      } finally {
        const after = this.ctx.pipelineStats;
        this.lastJob = {
          waitedOnTuning: queuedBehindMeasurement || this.measurements !== measurementsBefore,
          compiledPipelines: after.count - before.count,
          compileMs: after.compileMs - before.compileMs,
        };
      }
    });
    // The measurement after the first job on the priors: queued now, ahead of any job queued later.
    void result.finally(() => {
      if (!this.measureAfterThisJob) return;
      this.measureAfterThisJob = false;
      void this.tune().catch(() => undefined); // a failed measurement leaves the priors in place
    }).catch(() => undefined);
    return result;
  }

  /** Run `work` after every job queued before it, on a live device (a lost one is replaced first). */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.recoverIfLost();
      return work();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async recoverIfLost(): Promise<void> {
    if (!this.currentCtx.isLost) return;
    if (!this.newContext) throw deviceLostError();
    const ctx = await this.newContext();
    applyPrecision(ctx, this.precision);
    this.currentCtx = ctx;
    this.currentModel = ResNet50.load(ctx, this.weights);
    this.tuning = null; // a new device takes the choice again, from the store (the session's own by default)
    this.recoveries++;
  }

  private async classifyNow(input: Tensor, options: { topK?: number; capture?: readonly string[] }): Promise<ClassifyResult> {
    const { logits, captured } = this.model.forward(input, { capture: options.capture ?? [] });
    const probs = softmax(this.ctx, logits);
    try {
      const paths = [...captured.keys()];
      const [logitsHost, probsHost, ...acts] = (await readHostAll(this.ctx, [logits, probs, ...captured.values()])) as [HostTensor, HostTensor, ...HostTensor[]];
      const activations = new Map(paths.map((path, i) => [path, acts[i]!]));
      return { logits: logitsHost, probabilities: probsHost, top: topK(logitsHost, probsHost, options.topK ?? 5), activations };
    } finally {
      logits.release();
      probs.release();
      for (const t of captured.values()) t.release();
    }
  }

  private async trainStepNow(input: Tensor, labels: readonly number[], options: TrainStepOptions): Promise<TrainStepResult> {
    const [batch] = input.shape as [number];
    checkTargets(labels, batch, 'label');
    const params = options.params ?? [];
    checkParams(params);
    const ctx = this.ctx;
    const tape = new Tape(ctx, { input: options.inputGrad ?? true, params });
    const { logits } = this.model.forward(input, { mode: 'train', tape });
    const labelTensor = ctx.upload(Uint32Array.from(labels), [batch], 'u32', 'labels');
    const { loss, dlogits } = softmaxCrossEntropy(ctx, logits, labelTensor);
    const held: Tensor[] = [logits, labelTensor, loss, dlogits];
    try {
      const grads = tape.backward(logits, dlogits);
      for (const g of grads.params.values()) held.push(g);
      if (grads.input) held.push(grads.input);
      // Everything read back at once (one round trip, `readMany`).
      const statNames: string[] = [];
      const stats: Tensor[] = [];
      for (const name of options.runningStats ?? []) {
        const bn = this.model.batchnorm(name);
        statNames.push(`${name}.running_mean`, `${name}.running_var`);
        stats.push(bn.runningMean, bn.runningVar);
      }
      const paramNames = [...grads.params.keys()];
      const host = await readHostAll(ctx, [logits, loss, ...stats, ...grads.params.values(), ...(grads.input ? [grads.input] : [])]);
      const next = () => host.shift()!;
      const logitsHost = next();
      const lossHost = next();
      const runningStats = new Map(statNames.map((name) => [name, next()]));
      const paramGrads = new Map(paramNames.map((name) => [name, next()]));
      return { logits: logitsHost, loss: lossHost.data[0]!, inputGrad: grads.input ? next() : null, paramGrads, runningStats };
    } finally {
      tape.dispose();
      for (const t of held) t.release();
    }
  }

  /**
   * Plain SGD, w -= lr * grad, on the given gradients; running statistics are taken from the GPU as the
   * train-mode pass left them. Returns the full updated state dict.
   */
  async applySgd(grads: ReadonlyMap<string, HostTensor>, lr: number): Promise<Map<string, Float32Array>> {
    const state = await this.model.stateDict();
    for (const [name, g] of grads) {
      const w = state.get(name);
      if (!w) continue;
      for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g.data[i]!;
    }
    this.model.setParameters(state);
    return state;
  }

  destroy(): void {
    if (!this.ctx.isLost) this.model.destroy();
    this.ctx.destroy();
  }
}

/** What the last job waited on before and while its kernels ran (`Wgcam.lastJob`). */
export interface JobReport {
  /** A measurement of the GEMM tiles ran before this job: queued ahead of it, or started by it. */
  waitedOnTuning: boolean;
  /** Pipelines compiled on demand during the job (not ahead, by `prepare`), and their wall clock in ms. */
  compiledPipelines: number;
  compileMs: number;
}

/** A job to rehearse in `Wgcam.prepare`: its kind and the options it will be called with. */
export type PreparedJob =
  | { kind: 'classify'; options?: { topK?: number; capture?: readonly string[] } }
  | { kind: 'gradcam'; options: GradCamOptions }
  | { kind: 'trainStep'; labels: readonly number[]; options?: TrainStepOptions };

export interface TrainStepOptions {
  params?: readonly string[];
  inputGrad?: boolean;
  /** Batchnorm names whose running statistics to return after the step (e.g. `bn1`). */
  runningStats?: readonly string[];
}

export interface TrainStepResult {
  logits: HostTensor;
  loss: number;
  inputGrad: HostTensor | null;
  paramGrads: Map<string, HostTensor>;
  runningStats: Map<string, HostTensor>;
}

/** A network input: a GPU tensor (kept by the caller) or host data uploaded for the call. */
export type Input = Tensor | HostTensor;

function isHostTensor(x: Input): x is HostTensor {
  return !(x instanceof Tensor);
}
