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
import { NUM_CLASSES, parameterNames } from './model/architecture.ts';
import { topClassSeed } from './kernels/reduce/top_class_seed.ts';
import labels from './model/imagenet_classes.json' with { type: 'json' };
import { ResNet50, assertModulePath, type WeightMap } from './model/resnet50.ts';
import { Tape } from './model/tape.ts';
import { WgcamError } from './errors.ts';
import { gradCamFromActivations, averageCamMaps, renderOverlay } from './cam/gradcam.ts';
import { COLORMAPS, type ColormapName } from './cam/colormaps.ts';
import { softmaxCrossEntropy } from './kernels/reduce/softmax_cross_entropy.ts';

export const IMAGENET_LABELS: readonly string[] = labels as string[];

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

/** A tensor read back to the CPU. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface Prediction {
  index: number;
  label: string;
  probability: number;
  logit: number;
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
    return this.job(input, (t) => this.gradcamNow(t, options));
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

  private async gradcamNow(input: Tensor, options: GradCamOptions): Promise<GradCamResult> {
    const layers = options.layers.length > 0 ? [...new Set(options.layers)] : ['layer4'];
    for (const l of layers) assertModulePath(l);
    const params = options.params ?? [];
    checkParams(params);
    const [batch, , height, width] = input.shape as [number, number, number, number];
    const explicitTargets = options.targets === 'top' || options.targets === undefined ? null : options.targets;
    if (explicitTargets) checkTargets(explicitTargets, batch);
    const colormap = options.colormap ?? 'jet';
    const lut = COLORMAPS[colormap];
    if (!lut) throw new WgcamError('UNKNOWN_COLORMAP', `unknown colormap "${colormap}": use one of ${Object.keys(COLORMAPS).join(', ')}`);
    const alpha = options.alpha ?? 0.5;
    if (!(alpha >= 0 && alpha <= 1)) throw new WgcamError('BAD_ALPHA', `alpha must be in [0, 1], got ${alpha}`);

    const ctx = this.ctx;
    const tape = new Tape(ctx, { paths: layers, input: options.inputGrad === true, params });
    const started = performance.now();
    const { logits, captured } = this.model.forward(input, { capture: layers, tape });
    const held: Tensor[] = [logits, ...captured.values()];
    try {
      // The top class's seed is made on the GPU, so the backward goes in behind the forward while the logits
      // come back (forwardMs: when they are here).
      let forwardMs = 0;
      const logitsRead = readHost(logits).then((host) => ((forwardMs = performance.now() - started), host));
      logitsRead.catch(() => {}); // awaited below; a failure before then surfaces there, not as unhandled
      let seed: Tensor;
      let topTargets: Tensor | null = null;
      if (explicitTargets) {
        const seedData = new Float32Array(batch * NUM_CLASSES);
        explicitTargets.forEach((t, n) => (seedData[n * NUM_CLASSES + t] = 1));
        seed = ctx.upload(seedData, [batch, NUM_CLASSES], 'f32', 'seed');
      } else {
        ({ seed, targets: topTargets } = topClassSeed(ctx, logits));
        held.push(topTargets);
      }
      held.push(seed);
      const grads = tape.backward(logits, seed);
      for (const g of grads.paths.values()) held.push(g);
      for (const g of grads.params.values()) held.push(g);
      if (grads.input) held.push(grads.input);

      // The pictures, packed [N, H, W, 3], when every image has one.
      let pictureBytes: Uint8Array | null = null;
      const pictures = options.pictures;
      if (pictures && pictures.length === batch && pictures.every((p) => p !== null)) {
        pictureBytes = new Uint8Array(batch * height * width * 3);
        pictures.forEach((p, n) => pictureBytes!.set(p!, n * height * width * 3));
      }
      // Every layer's CAM, then everything read back at once (one round trip, `readMany`).
      const perLayerTensors = layers.map((layer) => {
        const act = captured.get(layer)!;
        const grad = grads.paths.get(layer)!;
        const cam = gradCamFromActivations(ctx, act, grad, [height, width]);
        held.push(cam.weights, cam.raw, cam.map);
        return [act, grad, cam.weights, cam.raw, cam.map] as const;
      });
      const maps = perLayerTensors.map((t) => t[4]);
      const combined = layers.length === 1 ? maps[0]! : averageCamMaps(ctx, maps);
      if (layers.length > 1) held.push(combined);
      const paramNames = [...grads.params.keys()];
      const host = await readHostAll(ctx, [...perLayerTensors.flat(), combined, ...grads.params.values(), ...(grads.input ? [grads.input] : []), ...(topTargets ? [topTargets] : [])]);
      const logitsHost = await logitsRead;
      const targets = topTargets ? Array.from(host.pop()!.data, Math.round) : [...explicitTargets!];
      const next = () => host.shift()!;
      const perLayer = new Map<string, CamLayerResult>();
      for (const [i, layer] of layers.entries()) {
        const [act, grad, weights, raw, map] = [next(), next(), next(), next(), next()];
        const overlay = pictureBytes ? await renderOverlay(ctx, perLayerTensors[i]![4], pictureBytes, lut, alpha) : null;
        perLayer.set(layer, { act, grad, weights, raw, map, overlay });
      }
      const map = next();
      let overlay: Uint8Array | null = null;
      if (pictureBytes) overlay = layers.length === 1 ? perLayer.get(layers[0]!)!.overlay : await renderOverlay(ctx, combined, pictureBytes, lut, alpha);
      const paramGrads = new Map(paramNames.map((name) => [name, next()]));
      const inputGrad = grads.input ? next() : null;
      return { logits: logitsHost, targets, layers: perLayer, map, overlay, inputGrad, paramGrads, forwardMs, totalMs: performance.now() - started };
    } finally {
      tape.dispose();
      for (const t of held) t.release();
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

export interface GradCamOptions {
  /** Target layers by module path (default `layer4`). */
  layers: readonly string[];
  /** One class per image, or 'top' for each image's best class. */
  targets?: readonly number[] | 'top';
  /** Per image, the H x W x 3 uint8 picture for the overlay. */
  pictures?: ReadonlyArray<Uint8Array | null>;
  colormap?: ColormapName;
  alpha?: number;
  inputGrad?: boolean;
  /** Parameter names whose gradients of the target logits are wanted. */
  params?: readonly string[];
}

export interface CamLayerResult {
  act: HostTensor;
  grad: HostTensor;
  weights: HostTensor;
  raw: HostTensor;
  map: HostTensor;
  /** This layer's overlay [N, H, W, 3] uint8, when pictures were given. */
  overlay: Uint8Array | null;
}

export interface GradCamResult {
  logits: HostTensor;
  targets: number[];
  layers: Map<string, CamLayerResult>;
  /** The final map [N, H, W] in [0, 1] (the layers' maps averaged when several). */
  map: HostTensor;
  /** [N, H, W, 3] uint8 RGB, when pictures were given. */
  overlay: Uint8Array | null;
  inputGrad: HostTensor | null;
  paramGrads: Map<string, HostTensor>;
  forwardMs: number;
  totalMs: number;
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

const PARAMETERS = new Set(parameterNames());

function checkParams(params: readonly string[]): void {
  for (const p of params) {
    if (!PARAMETERS.has(p)) {
      throw new WgcamError('UNKNOWN_PARAMETER', `unknown parameter "${p}": use a torchvision name such as conv1.weight, layer1.0.conv2.weight, bn1.bias, fc.weight`);
    }
  }
}

function checkTargets(targets: readonly number[], batch: number, what = 'target'): void {
  if (targets.length !== batch) {
    throw new WgcamError('BAD_TARGETS', `${targets.length} ${what}s for ${batch} images: give one ${what} per image`);
  }
  for (const t of targets) {
    if (!Number.isInteger(t) || t < 0 || t >= NUM_CLASSES) {
      throw new WgcamError('BAD_TARGETS', `${what} ${t} is not a class index: use an integer in [0, 999]`);
    }
  }
}

/** A network input: a GPU tensor (kept by the caller) or host data uploaded for the call. */
export type Input = Tensor | HostTensor;

function isHostTensor(x: Input): x is HostTensor {
  return !(x instanceof Tensor);
}

export async function readHost(t: Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: await t.read() };
}

/** Several tensors read back in one round trip (GpuContext.readMany), in order. */
export async function readHostAll(ctx: GpuContext, ts: readonly Tensor[]): Promise<HostTensor[]> {
  const data = await ctx.readMany(ts);
  return ts.map((t, i) => ({ shape: [...t.shape], data: data[i]! }));
}

/** Top-K classes per row, ties broken by the lower index (as torch.topk on CPU does in practice). */
export function topK(logits: HostTensor, probs: HostTensor, k: number): Prediction[][] {
  const [rows] = logits.shape as [number];
  const out: Prediction[][] = [];
  for (let n = 0; n < rows; n++) {
    const order = Array.from({ length: NUM_CLASSES }, (_, i) => i);
    const row = logits.data.subarray(n * NUM_CLASSES, (n + 1) * NUM_CLASSES);
    order.sort((a, b) => row[b]! - row[a]! || a - b);
    out.push(
      order.slice(0, k).map((index) => ({
        index,
        label: IMAGENET_LABELS[index] ?? String(index),
        probability: probs.data[n * NUM_CLASSES + index]!,
        logit: row[index]!,
      })),
    );
  }
  return out;
}
