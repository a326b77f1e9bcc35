// Peer: TensorFlow.js on its WebGPU backend. ResNet50 written with tf ops (NHWC, torchvision's padding, eval
// batchnorm) from the same weights; Grad-CAM at layer4 and the input gradient through tf.grad. The same code in
// the bench page and in Node; only the loading differs (loadTfBrowser below, tfjs_node.ts in Node).
//
// Equal work, as far as the library allows: the same input and pictures, uploaded once; the target class is
// wgcam's top class (the peers do not read the logits back before the backward, which wgcam does); the
// Grad-CAM map goes through the same steps (channel weights, weighted sum, ReLU, min-max, bilinear resize to the
// input size, min-max, jet colormap, overlay) and the overlay and map are read back.
import { COLORMAPS } from '../../src/cam/colormaps.ts';
import { BN_EPS, NUM_CLASSES, STAGES, parameterLayers } from '../../src/model/architecture.ts';
import { relativeL2 } from '../../src/metrics.ts';
import type { PeerResult } from '../core.ts';
import { errorMessage, timeCalls, topClasses, type PeerContext } from './types.ts';

/** The part of tfjs-core used here (typed locally: the package is only needed with --peers). */
export interface T {
  shape: number[];
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}
export interface Tf {
  version_core?: string;
  /** Exported by the Node bundle (tfjs_node.ts). */
  version_webgpu?: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor(values: Float32Array | Int32Array, shape: number[], dtype?: 'float32' | 'int32'): T;
  scalar(v: number): T;
  conv2d(x: T, filter: T, strides: [number, number], pad: number): T;
  batchNorm(x: T, mean: T, variance: T, offset: T, scale: T, eps: number): T;
  relu(x: T): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  maxPool(x: T, size: [number, number], strides: [number, number], pad: number): T;
  mean(x: T, axis?: number | number[], keepDims?: boolean): T;
  sum(x: T, axis?: number | number[], keepDims?: boolean): T;
  min(x: T, axis?: number | number[], keepDims?: boolean): T;
  max(x: T, axis?: number | number[], keepDims?: boolean): T;
  matMul(a: T, b: T): T;
  round(x: T): T;
  cast(x: T, dtype: 'int32' | 'float32'): T;
  gather(x: T, indices: T): T;
  reshape(x: T, shape: number[]): T;
  grad(f: (x: T) => T): (x: T) => T;
  tidy<R extends T | T[] | { [k: string]: T }>(fn: () => R): R;
  image: { resizeBilinear(x: T, size: [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): T };
}

interface Bn {
  mean: T;
  variance: T;
  offset: T;
  scale: T;
}

class TfResNet50 {
  private readonly held: T[] = [];
  private readonly convs = new Map<string, T>();
  private readonly bns = new Map<string, Bn>();
  private fcW!: T;
  private fcB!: T;

  constructor(
    private readonly tf: Tf,
    weights: ReadonlyMap<string, Float32Array>,
  ) {
    const get = (name: string): Float32Array => {
      const w = weights.get(name);
      if (!w) throw new Error(`tfjs peer: weights lack ${name}`);
      return w;
    };
    const keep = (t: T) => {
      this.held.push(t);
      return t;
    };
    const conv = (name: string, outC: number, inC: number, k: number) => {
      // [O, I, kh, kw] -> [kh, kw, I, O]
      const src = get(`${name}.weight`);
      const dst = new Float32Array(src.length);
      for (let o = 0; o < outC; o++)
        for (let i = 0; i < inC; i++)
          for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) dst[((y * k + x) * inC + i) * outC + o] = src[((o * inC + i) * k + y) * k + x]!;
      this.convs.set(name, keep(tf.tensor(dst, [k, k, inC, outC])));
    };
    const bn = (name: string, c: number) => {
      const t = (suffix: string) => keep(tf.tensor(get(`${name}.${suffix}`), [c]));
      this.bns.set(name, { scale: t('weight'), offset: t('bias'), mean: t('running_mean'), variance: t('running_var') });
    };
    for (const l of parameterLayers()) {
      if (l.kind === 'conv') conv(l.name, l.outChannels, l.inChannels, l.kernel);
      else bn(l.name, l.channels);
    }
    const fc = get('fc.weight');
    const fcT = new Float32Array(fc.length);
    const features = fc.length / NUM_CLASSES;
    for (let o = 0; o < NUM_CLASSES; o++) for (let i = 0; i < features; i++) fcT[i * NUM_CLASSES + o] = fc[o * features + i]!;
    this.fcW = keep(tf.tensor(fcT, [features, NUM_CLASSES]));
    this.fcB = keep(tf.tensor(get('fc.bias'), [NUM_CLASSES]));
  }

  private convBn(x: T, conv: string, bn: string, stride: number, pad: number, relu: boolean): T {
    const tf = this.tf;
    const b = this.bns.get(bn)!;
    const y = tf.batchNorm(tf.conv2d(x, this.convs.get(conv)!, [stride, stride], pad), b.mean, b.variance, b.offset, b.scale, BN_EPS);
    return relu ? tf.relu(y) : y;
  }

  /** NHWC input -> layer4 activation [N, h, w, 2048]. */
  trunk(input: T): T {
    const tf = this.tf;
    let x = this.convBn(input, 'conv1', 'bn1', 2, 3, true);
    x = tf.maxPool(x, [3, 3], [2, 2], 1);
    for (const stage of STAGES) {
      for (let i = 0; i < stage.blocks; i++) {
        const p = `${stage.name}.${i}`;
        const stride = i === 0 ? stage.stride : 1;
        let y = this.convBn(x, `${p}.conv1`, `${p}.bn1`, 1, 0, true);
        y = this.convBn(y, `${p}.conv2`, `${p}.bn2`, stride, 1, true);
        y = this.convBn(y, `${p}.conv3`, `${p}.bn3`, 1, 0, false);
        const identity = i === 0 ? this.convBn(x, `${p}.downsample.0`, `${p}.downsample.1`, stride, 0, false) : x;
        x = tf.relu(tf.add(y, identity));
      }
    }
    return x;
  }

  /** layer4 activation -> logits [N, 1000]. */
  head(a: T): T {
    const tf = this.tf;
    return tf.add(tf.matMul(tf.mean(a, [1, 2]), this.fcW), this.fcB);
  }

  dispose(): void {
    for (const t of this.held) t.dispose();
  }
}

/** tfjs with its gradients and the WebGPU backend, set and ready. */
export type TfLoader = (log: PeerContext['log']) => Promise<Tf>;

/** In the bench page: the packages as Vite bundles them. */
export const loadTfBrowser: TfLoader = async () => {
  // @ts-ignore -- resolved by Vite when the bench page is built with --peers; typed by Tf above
  const tf = (await import('@tensorflow/tfjs-core')) as unknown as Tf;
  // @ts-ignore -- the gradients of every op (the union package @tensorflow/tfjs imports them; core alone does not)
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  // @ts-ignore -- registers the 'webgpu' backend
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  return tf;
};

export async function runTfjs(p: PeerContext, load: TfLoader): Promise<PeerResult> {
  const result: PeerResult = { forward_ms: null, gradcam_ms: null, input_grad_ms: null, backend: 'webgpu' };
  let model: TfResNet50 | null = null;
  const owned: T[] = [];
  try {
    const tf = await load(p.log);
    if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs runs on "${tf.getBackend()}", not webgpu`);
    result.version = tf.version_core;
    const [n, c, h, w] = p.input.shape as [number, number, number, number];
    // NCHW -> NHWC, once (wgcam's input is uploaded once too).
    const nhwc = new Float32Array(p.input.data.length);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) nhwc[((b * h + y) * w + x) * c + ch] = p.input.data[((b * c + ch) * h + y) * w + x]!;
    const input = tf.tensor(nhwc, [n, h, w, c]);
    owned.push(input);
    const pictures = new Float32Array(n * h * w * 3);
    p.pictures.forEach((pic, b) => pic.forEach((v, i) => (pictures[b * h * w * 3 + i] = v / 255)));
    const picture = tf.tensor(pictures, [n, h, w, 3]);
    const lut = tf.tensor(Float32Array.from(COLORMAPS.jet, (v) => v / 255), [256, 3]);
    owned.push(picture, lut);
    const targets = topClasses(p.logits, n);
    const oneHot = new Float32Array(n * NUM_CLASSES);
    targets.forEach((t, b) => (oneHot[b * NUM_CLASSES + t] = 1));
    const seed = tf.tensor(oneHot, [n, NUM_CLASSES]);
    owned.push(seed);
    p.log('peer tfjs: uploading weights');
    const m = new TfResNet50(tf, p.weights);
    model = m;
    const runs = p.config.e2eRuns;
    result.warmup_ms = {};

    // forward
    let logits: Float32Array | null = null;
    const fwd = await timeCalls(runs, async () => {
      const out = tf.tidy(() => m.head(m.trunk(input)));
      logits = (await out.data()) as Float32Array;
      out.dispose();
    });
    result.forward_ms = fwd.median;
    result.warmup_ms.forward = fwd.warmup;
    result.logits_rel_l2 = relativeL2(logits!, p.logits);
    p.log(`peer tfjs: forward ${fwd.median.toFixed(0)} ms (warm-up ${fwd.warmup.toFixed(0)} ms), logits rel L2 ${result.logits_rel_l2.toExponential(2)}`);

    // Grad-CAM at layer4
    const minMax = (x: T): T => {
      const lo = tf.min(x, [1, 2, 3], true);
      const hi = tf.max(x, [1, 2, 3], true);
      return tf.div(tf.sub(x, lo), tf.add(tf.sub(hi, lo), tf.scalar(1e-7)));
    };
    const gradcam = async () => {
      const out = tf.tidy(() => {
        const act = m.trunk(input);
        const logitsT = m.head(act);
        const grad = tf.grad((a) => tf.sum(tf.mul(m.head(a), seed)))(act);
        const weights = tf.mean(grad, [1, 2], true);
        const raw = tf.relu(tf.sum(tf.mul(weights, act), 3, true));
        const map = minMax(tf.image.resizeBilinear(minMax(raw), [h, w], false, true));
        const index = tf.cast(tf.round(tf.mul(tf.reshape(map, [n, h, w]), tf.scalar(255))), 'int32');
        const heat = tf.gather(lut, index);
        const blend = tf.add(tf.mul(heat, tf.scalar(0.5)), tf.mul(picture, tf.scalar(0.5)));
        const overlay = tf.cast(tf.round(tf.mul(tf.div(blend, tf.max(blend, [1, 2, 3], true)), tf.scalar(255))), 'int32');
        return { logits: logitsT, map, overlay };
      });
      await out.logits.data();
      await out.map.data();
      await out.overlay.data();
      out.logits.dispose();
      out.map.dispose();
      out.overlay.dispose();
    };
    // full input gradient
    const inputGrad = async () => {
      const g = tf.tidy(() => tf.grad((x) => tf.sum(tf.mul(m.head(m.trunk(x)), seed)))(input));
      await g.data();
      g.dispose();
    };
    // Each only where wgcam ran it too: the ratio needs both.
    for (const [task, call, what] of [['gradcam', gradcam, 'gradcam'], ['input_grad', inputGrad, 'input gradient']] as const) {
      if (!p.config.e2e.includes(task)) continue;
      const t = await timeCalls(runs, call);
      result[`${task}_ms`] = t.median;
      result.warmup_ms[task] = t.warmup;
      p.log(`peer tfjs: ${what} ${t.median.toFixed(0)} ms (warm-up ${t.warmup.toFixed(0)} ms)`);
    }
    result.notes = ['target class taken from wgcam\'s logits (no logits read-back before the backward)'];
  } catch (e) {
    result.error = errorMessage(e);
    p.log(`peer tfjs failed: ${result.error}`);
  } finally {
    model?.dispose();
    for (const t of owned) t.dispose();
  }
  return result;
}
