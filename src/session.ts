// The library's front door, shared by the CLI and the web app: one GPU context, one model, and the jobs
// users run (classify, Grad-CAM, a training step). Everything here works on GPU tensors and returns plain
// typed arrays in PyTorch's layout (NCHW).
import { createGpuContext, deviceLostError, type GpuContext, type GpuContextOptions } from './gpu/context.ts';
import { Tensor } from './gpu/tensor.ts';
import { softmax } from './kernels/reduce/softmax.ts';
import { configureKernels, type KernelConfig } from './kernels/config.ts';
import type { GemmOperands } from './kernels/gemm/tiles.ts';
import type { GemmTuning } from './kernels/gemm/tuner.ts';
import { memoryTuningStore, tuneAdapter, type AdapterTuning, type TuningOptions, type TuningStore } from './tuning.ts';
import { ResNet50, type WeightMap } from './model/resnet50.ts';
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
   * Choose the GEMM tiles for this adapter now (the first call does it otherwise): from the tuning store, or by
   * timing the candidates once. Returns null when tuning is off.
   */
  tune(): Promise<GemmTuning | null> {
    return this.enqueue(() => this.tuneIfNeeded());
  }

  private async tuneIfNeeded(): Promise<GemmTuning | null> {
    if (this.tuningOptions === false) return null;
    // Without a store of the caller's, the session's own: a device that replaces a lost one on the same adapter
    // reuses the choice, so it computes as its predecessor did and spends no time measuring again.
    this.tuning ??= await tuneAdapter(this.currentCtx, { ...this.tuningOptions, store: this.tuningOptions.store ?? this.sessionStore });
    return this.tuning.gemm;
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
    return this.enqueue(async () => {
      await this.tuneIfNeeded();
      if (!isHostTensor(input)) return run(input);
      const t = this.ctx.upload(input.data, input.shape, 'f32', 'input');
      try {
        return await run(t);
      } finally {
        t.release();
      }
    });
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
