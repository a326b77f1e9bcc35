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
