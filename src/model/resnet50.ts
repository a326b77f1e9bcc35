// ResNet50 on the GPU: parameters uploaded once, a forward pass in eval or train mode that can capture any
// module output by its PyTorch path, and record itself on a tape for backward.
//
// Eval mode fuses each conv with its batchnorm (a per-channel affine in the conv's store), the residual add
// and the ReLU. A module whose output is captured or differentiated is run unfused, so that its output
// exists as a tensor of its own.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { foldBatchnorm } from '../kernels/norm/batchnorm.ts';
import { BN_EPS, FEATURES, NUM_CLASSES, STAGES, isModulePath, modulePaths, parameterLayers } from './architecture.ts';
import { Ops, type BatchnormParams, type Mode } from './ops.ts';
import type { Tape } from './tape.ts';
import { WgcamError } from '../errors.ts';
import { quote } from '../quote.ts';

export interface ForwardOptions {
  mode?: Mode;
  /** Module paths whose outputs are returned (NCHW tensors the caller releases). */
  capture?: Iterable<string>;
  tape?: Tape;
}

export interface ForwardResult {
  logits: Tensor;
  captured: Map<string, Tensor>;
}

/** Host copies of the weights, kept so that a lost device can be recovered without reloading the file. */
export type WeightMap = Map<string, Float32Array>;

export class ResNet50 {
  private readonly params = new Map<string, Tensor>();
  private readonly batchnorms = new Map<string, BatchnormParams>();

  private constructor(
    readonly ctx: GpuContext,
    readonly weights: WeightMap,
  ) {}

  /** Upload every parameter once. `weights` must hold the full torchvision state dict (as float32). */
  static load(ctx: GpuContext, weights: WeightMap): ResNet50 {
    const model = new ResNet50(ctx, weights);
    const get = (name: string): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new WgcamError('WEIGHTS_MISSING_TENSOR', `weights lack tensor ${name}: use a torchvision or timm ResNet50 state dict`);
      return w;
    };
    const upload = (name: string, shape: number[]): Tensor => {
      const t = ctx.upload(get(name), shape, 'f32', name);
      model.params.set(name, t);
      return t;
    };
    const conv = (name: string, out: number, inC: number, k: number) => upload(`${name}.weight`, [out, inC, k, k]);
    const bn = (name: string, channels: number) => {
      const gamma = get(`${name}.weight`);
      const beta = get(`${name}.bias`);
      const mean = get(`${name}.running_mean`);
      const variance = get(`${name}.running_var`);
      const folded = foldBatchnorm(gamma, beta, mean, variance, BN_EPS);
      model.batchnorms.set(name, {
        name,
        gamma: upload(`${name}.weight`, [channels]),
        beta: upload(`${name}.bias`, [channels]),
        runningMean: upload(`${name}.running_mean`, [channels]),
        runningVar: upload(`${name}.running_var`, [channels]),
        scale: ctx.upload(folded.scale, [channels], 'f32', `${name} scale`),
        shift: ctx.upload(folded.shift, [channels], 'f32', `${name} shift`),
      });
    };
    for (const l of parameterLayers()) {
      if (l.kind === 'conv') conv(l.name, l.outChannels, l.inChannels, l.kernel);
      else bn(l.name, l.channels);
    }
    upload('fc.weight', [NUM_CLASSES, FEATURES]);
    upload('fc.bias', [NUM_CLASSES]);
    return model;
  }

  param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return t;
  }

  batchnorm(name: string): BatchnormParams {
    const b = this.batchnorms.get(name);
    if (!b) throw new Error(`no batchnorm ${name}`);
    return b;
  }

  shapeOf(name: string): number[] {
    const t = this.params.get(name);
    if (!t) throw new Error(`no parameter ${name}`);
    return [...t.shape];
  }

  /**
   * Replace parameter values (host copies and GPU tensors) and refresh the eval-mode batchnorm folds.
   * Used by the SGD step; names are torchvision's.
   */
  setParameters(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, data] of values) {
      const t = this.params.get(name);
      if (!t || t.size !== data.length) throw new Error(`setParameters: bad parameter ${name}`);
      this.weights.set(name, data);
      this.ctx.flush();
      this.ctx.device.queue.writeBuffer(t.buffer, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    }
    for (const [name, bn] of this.batchnorms) {
      const folded = foldBatchnorm(
        this.weights.get(`${name}.weight`)!,
        this.weights.get(`${name}.bias`)!,
        this.weights.get(`${name}.running_mean`)!,
        this.weights.get(`${name}.running_var`)!,
        BN_EPS,
      );
      this.ctx.device.queue.writeBuffer(bn.scale.buffer, 0, folded.scale.buffer as ArrayBuffer);
      this.ctx.device.queue.writeBuffer(bn.shift.buffer, 0, folded.shift.buffer as ArrayBuffer);
    }
  }

  /** Read every parameter and running statistic back from the GPU (train mode updates the latter there). */
  async stateDict(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [name, t] of this.params) out.set(name, await t.read());
    return out;
  }

  /** Bytes of parameters resident on the GPU. */
  get parameterBytes(): number {
    let bytes = 0;
    for (const t of this.params.values()) bytes += t.byteLength;
    for (const b of this.batchnorms.values()) bytes += b.scale.byteLength + b.shift.byteLength;
    return bytes;
  }

  /**
   * Run the network on `input` [N, 3, H, W] (normalised). The input stays owned by the caller.
   * Unknown capture paths are rejected with the list of valid ones.
   */
  forward(input: Tensor, options: ForwardOptions = {}): ForwardResult {
    const capture = new Set(options.capture ?? []);
    for (const path of capture) assertModulePath(path);
    if (input.shape.length !== 4 || input.shape[1] !== 3 || input.shape[0]! < 1) {
      throw new WgcamError('BAD_INPUT_SHAPE', `input must be [N,3,H,W] with N >= 1, got [${input.shape.join(',')}]`);
    }
    const [, , h, w] = input.shape as [number, number, number, number];
    if (h < 32 || w < 32) throw new WgcamError('BAD_INPUT_SHAPE', `input ${h}x${w} is too small for ResNet50: use at least 32x32`);
    const tape = options.tape;
    const ops = new Ops(this.ctx, options.mode ?? 'eval', tape, capture);
    tape?.markInput(input);
    const captured = new Map<string, Tensor>();
    ops.onEmit = (path, t) => {
      if (capture.has(path) && !captured.has(path)) captured.set(path, t.retain());
    };

    let x = ops.convBn(input, this.param('conv1.weight'), 'conv1', this.batchnorm('bn1'), { stride: 2, pad: 3 }, { relu: true, reluPath: 'relu' });
    const pooled = ops.maxPool(x, 'maxpool');
    x.release();
    x = pooled;
    for (const stage of STAGES) {
      for (let i = 0; i < stage.blocks; i++) {
        const stride = i === 0 ? stage.stride : 1;
        const y = this.bottleneck(ops, x, `${stage.name}.${i}`, stride, i === 0);
        x.release();
        x = y;
      }
      ops.emit(stage.name, x);
    }
    const features = ops.globalAvgPool(x, 'avgpool');
    x.release();
    const logits = ops.linear(features, this.param('fc.weight'), 'fc.weight', this.param('fc.bias'), 'fc.bias', 'fc');
    features.release();
    return { logits, captured };
  }

  /**
   * Run only the part of the network after module `layerPath`, from `activation` (that module's output, any
   * batch size): the logits [B, 1000] (the caller releases them). The activation stays the caller's. Eval mode,
   * the same fused kernels as `forward`. A path inside a bottleneck (`layer4.2.conv3`, `layer2.0.downsample.1`)
   * also needs that block's input (`blockInput`, the previous block's output, same batch), for its identity
   * branch; block and stage outputs (`layer2`, `layer4.1`) need nothing else.
   */
  forwardFrom(layerPath: string, activation: Tensor, options: { blockInput?: Tensor } = {}): Tensor {
    assertModulePath(layerPath);
    const ops = new Ops(this.ctx, 'eval', undefined, new Set());
    const resume = resumePoint(layerPath);
    const expectRank = layerPath === 'avgpool' || layerPath === 'fc' ? 2 : 4;
    if (activation.shape.length !== expectRank) {
      throw new WgcamError('BAD_INPUT_SHAPE', `the output of ${layerPath} has rank ${expectRank}, got [${activation.shape.join(',')}]`);
    }
    if (layerPath === 'fc') return activation.retain();
    if (layerPath === 'avgpool') return this.head(ops, activation);
    let x: Tensor;
    let next: BlockIndex | null;
    if (resume.kind === 'stem') {
      x = this.finishStem(ops, activation, resume.after);
      next = { stage: 0, block: 0 };
    } else if (resume.kind === 'block') {
      x = activation.retain();
      next = nextBlock(resume.at);
    } else {
      const blockInput = options.blockInput;
      if (!blockInput || blockInput.shape.length !== 4 || blockInput.shape[0] !== activation.shape[0]) {
        throw new WgcamError('BAD_INPUT_SHAPE', `resuming inside ${blockPath(resume.at)} needs that block's input, with the activation's batch`);
      }
      x = this.finishBottleneck(ops, activation, blockInput, resume.at, resume.after);
      next = nextBlock(resume.at);
    }
    for (; next; next = nextBlock(next)) {
      const stage = STAGES[next.stage]!;
      const y = this.bottleneck(ops, x, blockPath(next), next.block === 0 ? stage.stride : 1, next.block === 0);
      x.release();
      x = y;
    }
    const logits = this.head(ops, x);
    x.release();
    return logits;
  }

  /** avgpool and fc, from the last block's output (or from avgpool's output when it is [B, 2048]). */
  private head(ops: Ops, x: Tensor): Tensor {
    const features = x.shape.length === 4 ? ops.globalAvgPool(x, 'avgpool') : x.retain();
    const logits = ops.linear(features, this.param('fc.weight'), 'fc.weight', this.param('fc.bias'), 'fc.bias', 'fc');
    features.release();
    return logits;
  }

  /** The rest of the stem after `after` (conv1, bn1 or relu); maxpool's output is returned as a new reference. */
  private finishStem(ops: Ops, t: Tensor, after: 'conv1' | 'bn1' | 'relu' | 'maxpool'): Tensor {
    let x = t.retain();
    const step = (f: (x: Tensor) => Tensor) => {
      const y = f(x);
      x.release();
      x = y;
    };
    if (after === 'conv1') step((v) => ops.batchnorm(v, this.batchnorm('bn1')));
    if (after === 'conv1' || after === 'bn1') step((v) => ops.relu(v));
    if (after !== 'maxpool') step((v) => ops.maxPool(v, 'maxpool'));
    return x;
  }

  /** The rest of bottleneck `at` after its module `after`, given the block's input (for the identity). */
  private finishBottleneck(ops: Ops, t: Tensor, blockInput: Tensor, at: BlockIndex, after: string): Tensor {
    const p = blockPath(at);
    const stage = STAGES[at.stage]!;
    const stride = at.block === 0 ? stage.stride : 1;
    const downsample = at.block === 0;
    const conv = (name: string) => this.param(`${p}.${name}.weight`);
    const bn = (name: string) => this.batchnorm(`${p}.${name}`);
    if (after.startsWith('downsample')) {
      // The identity branch is given; the main branch runs in full from the block input.
      const identity = after === 'downsample.0' ? ops.batchnorm(t, bn('downsample.1')) : t.retain();
      const a = ops.convBn(blockInput, conv('conv1'), `${p}.conv1`, bn('bn1'), { stride: 1, pad: 0 }, { relu: true });
      const b = ops.convBn(a, conv('conv2'), `${p}.conv2`, bn('bn2'), { stride, pad: 1 }, { relu: true });
      a.release();
      const out = ops.convBn(b, conv('conv3'), `${p}.conv3`, bn('bn3'), { stride: 1, pad: 0 }, { relu: true, residual: identity });
      b.release();
      identity.release();
      return out;
    }
    const identity = downsample
      ? ops.convBn(blockInput, conv('downsample.0'), `${p}.downsample.0`, bn('downsample.1'), { stride, pad: 0 }, { relu: false })
      : blockInput.retain();
    // The main branch: [conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, add+relu]; resume after `after`.
    let x = t.retain();
    const step = (f: (x: Tensor) => Tensor) => {
      const y = f(x);
      x.release();
      x = y;
    };
    const order = ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3'];
    const from = order.indexOf(after);
    if (from < 0) throw new Error(`forwardFrom: cannot resume after ${p}.${after}`);
    if (after === 'conv1') step((v) => ops.batchnorm(v, bn('bn1')));
    if (from <= 1) {
      step((v) => ops.relu(v));
      step((v) => ops.convBn(v, conv('conv2'), `${p}.conv2`, bn('bn2'), { stride, pad: 1 }, { relu: true }));
    }
    if (after === 'conv2') step((v) => ops.batchnorm(v, bn('bn2')));
    if (from >= 2 && from <= 3) step((v) => ops.relu(v));
    if (from <= 3) step((v) => ops.convBn(v, conv('conv3'), `${p}.conv3`, bn('bn3'), { stride: 1, pad: 0 }, { relu: true, residual: identity }));
    if (after === 'conv3') step((v) => ops.batchnorm(v, bn('bn3')));
    if (from >= 4) step((v) => ops.add(v, identity, true));
    identity.release();
    return x;
  }

  private bottleneck(ops: Ops, x: Tensor, p: string, stride: number, downsample: boolean): Tensor {
    const a = ops.convBn(x, this.param(`${p}.conv1.weight`), `${p}.conv1`, this.batchnorm(`${p}.bn1`), { stride: 1, pad: 0 }, { relu: true });
    const b = ops.convBn(a, this.param(`${p}.conv2.weight`), `${p}.conv2`, this.batchnorm(`${p}.bn2`), { stride, pad: 1 }, { relu: true });
    a.release();
    let identity = x;
    if (downsample) {
      identity = ops.convBn(x, this.param(`${p}.downsample.0.weight`), `${p}.downsample.0`, this.batchnorm(`${p}.downsample.1`), { stride, pad: 0 }, { relu: false });
      ops.emit(`${p}.downsample`, identity);
    }
    const out = ops.convBn(b, this.param(`${p}.conv3.weight`), `${p}.conv3`, this.batchnorm(`${p}.bn3`), { stride: 1, pad: 0 }, { relu: true, residual: identity, reluPath: `${p}.relu` });
    b.release();
    if (downsample) identity.release();
    ops.emit(p, out);
    return out;
  }

  destroy(): void {
    for (const t of this.params.values()) t.release();
    for (const b of this.batchnorms.values()) {
      b.scale.release();
      b.shift.release();
    }
    this.params.clear();
    this.batchnorms.clear();
  }
}

interface BlockIndex {
  stage: number;
  block: number;
}

function blockPath(at: BlockIndex): string {
  return `${STAGES[at.stage]!.name}.${at.block}`;
}

function nextBlock(at: BlockIndex): BlockIndex | null {
  if (at.block + 1 < STAGES[at.stage]!.blocks) return { stage: at.stage, block: at.block + 1 };
  return at.stage + 1 < STAGES.length ? { stage: at.stage + 1, block: 0 } : null;
}

/** Where the network resumes after a module: in the stem, after a whole block, or inside one. */
type ResumePoint =
  | { kind: 'stem'; after: 'conv1' | 'bn1' | 'relu' | 'maxpool' }
  | { kind: 'block'; at: BlockIndex }
  | { kind: 'inside'; at: BlockIndex; after: string };

function resumePoint(path: string): ResumePoint {
  if (path === 'conv1' || path === 'bn1' || path === 'relu' || path === 'maxpool') return { kind: 'stem', after: path };
  const [stageName, block, ...rest] = path.split('.');
  const stage = STAGES.findIndex((s) => s.name === stageName);
  if (stage < 0) return { kind: 'block', at: { stage: STAGES.length - 1, block: STAGES[STAGES.length - 1]!.blocks - 1 } }; // avgpool, fc
  if (block === undefined) return { kind: 'block', at: { stage, block: STAGES[stage]!.blocks - 1 } };
  const at = { stage, block: Number(block) };
  const sub = rest.join('.');
  // `relu` is the block's last ReLU (architecture.ts); `downsample` is the output of its batchnorm.
  if (sub === '' || sub === 'relu') return { kind: 'block', at };
  return { kind: 'inside', at, after: sub === 'downsample' ? 'downsample.1' : sub };
}

/**
 * The module whose output `forwardFrom(path, ...)` also needs as `blockInput`: for a path inside a bottleneck,
 * the output of the module before that block (`maxpool`, a stage or a block); null for every other path.
 */
export function blockInputPath(path: string): string | null {
  assertModulePath(path);
  const resume = resumePoint(path);
  if (resume.kind !== 'inside') return null;
  const { stage, block } = resume.at;
  if (block > 0) return blockPath({ stage, block: block - 1 });
  return stage === 0 ? 'maxpool' : STAGES[stage - 1]!.name;
}

export function assertModulePath(path: string): void {
  if (!isModulePath(path)) {
    throw new WgcamError(
      'UNKNOWN_LAYER',
      `unknown layer ${quote(path)}: use a torchvision module path such as layer4, layer3.5, layer4.2.conv3 (all: ${summarisePaths(modulePaths())})`,
    );
  }
}

/**
 * Modules whose output has no spatial map: avgpool's is [N,2048,1,1] and fc's [N,1000]. pytorch-grad-cam weighs
 * the channels of a [N,C,H,W] activation by their mean gradient over H x W; on these there is nothing to
 * localise (avgpool's one pixel gives a constant map), so they are not Grad-CAM layers here.
 */
export const NOT_CAM_LAYERS: ReadonlySet<string> = new Set(['avgpool', 'fc']);

/** The modules Grad-CAM can target: every module path with a spatial output (conv1 ... layer4 and inside). */
export function camLayerPaths(): string[] {
  return modulePaths().filter((p) => !NOT_CAM_LAYERS.has(p));
}

/** A Grad-CAM target layer: a module path with a spatial output, checked before any work. */
export function assertCamLayer(path: string): void {
  if (NOT_CAM_LAYERS.has(path)) {
    throw new WgcamError(
      'NOT_A_CAM_LAYER',
      `layer ${quote(path)} has no spatial output (${path === 'fc' ? '[N,1000]' : '[N,2048,1,1]'}), so Grad-CAM has nothing to localise: use layer4 or a module inside it, e.g. layer4.2.conv3`,
    );
  }
  if (!isModulePath(path)) {
    throw new WgcamError(
      'UNKNOWN_LAYER',
      `unknown layer ${quote(path)}: use a torchvision module path such as layer4, layer3.5, layer4.2.conv3 (all: ${summarisePaths(camLayerPaths())})`,
    );
  }
}

function summarisePaths(paths: readonly string[]): string {
  const top = paths.filter((p) => !p.includes('.'));
  return `${top.join(', ')}, layerX.i, layerX.i.{conv1,bn1,conv2,bn2,conv3,bn3,relu}, layerX.0.downsample[.0|.1]`;
}
