// The orchestration every CAM method shares (pytorch-grad-cam's BaseCAM.forward): the forward pass with the tape,
// the targets, one backward, each method's per-layer step (src/cam/method.ts), base_cam.py's post-processing,
// the overlays and one read-back. The session (src/session.ts) queues these jobs, tunes the kernels and replaces
// a lost device; nothing here keeps state between calls.
//
// Per method and target layer: raw = method.layerCam (get_cam_image), then compute_cam_per_layer's
// np.maximum(raw, 0) and scale_cam_image (per-image min-max, cv2.resize to the input); then
// aggregate_multi_layers: np.maximum(., 0), the mean over layers, scale_cam_image again.
import type { Tensor } from '../gpu/tensor.ts';
import { readHost, readHostAll, topK, type HostTensor } from '../host.ts';
import { NUM_CLASSES, parameterNames } from '../model/architecture.ts';
import { assertCamLayer, assertModulePath, type ResNet50 } from '../model/resnet50.ts';
import { quote } from '../quote.ts';
import { Tape, type BackwardResult } from '../model/tape.ts';
import { WgcamError } from '../errors.ts';
import { COLORMAPS, type ColormapName } from './colormaps.ts';
import { averageCamMaps, gradCamFromActivations, overlayTensor, renderOverlay, scaleCamImage, uploadPictures, type OverlayPictures } from './gradcam.ts';
import { checkBatchSize } from './masked_forwards.ts';
import { resolveCamMethods, type CamMethod, type CamProgress, type CamRun } from './method.ts';
import { augmentationSmoothing } from './aug_smooth.ts';
import { guidedBackprop, guidedPictures, targetSeed } from './guided.ts';
import { topClassSeed } from '../kernels/reduce/top_class_seed.ts';
import { CAM_METRICS, camMultChange, checkCamMetrics } from './metrics.ts';

/** Overlay and target options shared by Grad-CAM and explain. */
export interface CamCommonOptions {
  /** Target layers by module path (default `layer4`). */
  layers?: readonly string[];
  /** One class per image, or 'top' for each image's best class. */
  targets?: readonly number[] | 'top';
  /** Per image, the H x W x 3 uint8 picture for the overlay. */
  pictures?: ReadonlyArray<Uint8Array | null>;
  colormap?: ColormapName;
  /** The heatmap's weight in the overlay (show_cam_on_image's 1 - image_weight), default 0.5. */
  alpha?: number;
}

export interface GradCamOptions extends CamCommonOptions {
  layers: readonly string[];
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

export interface ExplainOptions extends CamCommonOptions {
  /** Method names (src/cam/method.ts's CAM_METHODS), `all` for every registered one; default `gradcam`. */
  methods?: readonly string[];
  /** pytorch-grad-cam's eigen_smooth: the first principal component in place of the channel sum. */
  eigenSmooth?: boolean;
  /**
   * Masked or ablated inputs per forward for the methods that run many; by default each method's own in
   * pytorch-grad-cam (scorecam 16, ablationcam 32). Only ablationcam's maps can depend on it (a ReLU-free layer).
   */
  batchSize?: number;
  /** Called by methods that run many forwards (scorecam, ablationcam). */
  onProgress?: (p: CamProgress) => void;
  /**
   * pytorch-grad-cam's aug_smooth: every map is the mean over six test-time augmentations (src/cam/aug_smooth.ts).
   * The metrics and Guided Grad-CAM then use the smoothed maps, as they would the library's.
   */
  augSmooth?: boolean;
  /** Guided backpropagation, and Guided Grad-CAM with the first method's map (`guided` in the result). */
  guided?: boolean;
  /** Faithfulness metrics of every method's map (src/cam/metrics.ts): `cam-mult`. */
  metrics?: readonly string[];
}

export interface GuidedResult {
  /** [N, 3, H, W]: the guided input gradient of each image's target score. */
  gradient: HostTensor;
  /** [N, H, W, 3] uint8: deprocess_image(gradient). */
  backprop: Uint8Array;
  /** [N, H, W, 3] uint8: deprocess_image(map * gradient), with the first method's map. */
  gradcam: Uint8Array;
}

export interface MethodResult {
  /** [N, H, W] in [0, 1]: the final map after the layers' aggregation. */
  map: HostTensor;
  /** [N, H, W, 3] uint8 RGB, when every image has a picture. */
  overlay: Uint8Array | null;
  /** The metrics asked for, by their dump name (`cam_mult_change` [N]). */
  metrics?: Map<string, HostTensor>;
}

export interface ExplainResult {
  logits: HostTensor;
  targets: number[];
  /** By method name, in the order asked for. */
  methods: Map<string, MethodResult>;
  /** With `guided`. */
  guided?: GuidedResult;
  forwardMs: number;
  totalMs: number;
}

const PARAMETERS = new Set(parameterNames());

/** Every name a torchvision ResNet50 state-dict name, checked before any work. */
export function checkParams(params: readonly string[]): void {
  for (const p of params) {
    if (!PARAMETERS.has(p)) {
      throw new WgcamError('UNKNOWN_PARAMETER', `unknown parameter ${quote(p)}: use a torchvision name such as conv1.weight, layer1.0.conv2.weight, bn1.bias, fc.weight`);
    }
  }
}

export function checkTargets(targets: readonly number[], batch: number, what = 'target'): void {
  if (targets.length !== batch) {
    throw new WgcamError('BAD_TARGETS', `${targets.length} ${what}s for ${batch} images: give one ${what} per image`);
  }
  for (const t of targets) {
    if (!Number.isInteger(t) || t < 0 || t >= NUM_CLASSES) {
      throw new WgcamError('BAD_TARGETS', `${what} ${t} is not a class index: use an integer in [0, 999]`);
    }
  }
}

/** The checked common options: layers, explicit targets (null for 'top'), the overlay's LUT and alpha. */
function commonOptions(input: Tensor, options: CamCommonOptions) {
  const layers = options.layers && options.layers.length > 0 ? [...new Set(options.layers)] : ['layer4'];
  for (const l of layers) assertCamLayer(l);
  const batch = input.shape[0]!;
  const explicitTargets = options.targets === 'top' || options.targets === undefined ? null : options.targets;
  if (explicitTargets) checkTargets(explicitTargets, batch);
  const colormap = options.colormap ?? 'jet';
  const lut = COLORMAPS[colormap];
  if (!lut) throw new WgcamError('UNKNOWN_COLORMAP', `unknown colormap ${quote(colormap)}: use one of ${Object.keys(COLORMAPS).join(', ')}`);
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new WgcamError('BAD_ALPHA', `alpha must be in [0, 1], got ${alpha}`);
  return { layers, explicitTargets, lut, alpha };
}

/** The pictures packed [N, H, W, 3] when every image has one, else null. */
function packPictures(pictures: CamCommonOptions['pictures'], [batch, , height, width]: readonly number[]): Uint8Array | null {
  if (!pictures || pictures.length !== batch || !pictures.every((p) => p !== null)) return null;
  const bytes = new Uint8Array(batch * height! * width! * 3);
  pictures.forEach((p, n) => bytes.set(p!, n * height! * width! * 3));
  return bytes;
}

interface Traced {
  logits: Tensor;
  logitsHost: HostTensor;
  targets: number[];
  captured: Map<string, Tensor>;
  /** Null when nothing asked for a gradient. */
  grads: BackwardResult | null;
  forwardMs: number;
}

/**
 * BaseCAM.forward's first half: the forward (capturing `capture`), the targets, then the backward of
 * sum over n of logits[n, target_n] when `tape` is given. Every tensor made is pushed to `held`.
 */
async function forwardAndBackward(
  model: ResNet50,
  input: Tensor,
  capture: readonly string[],
  tape: Tape | null,
  explicitTargets: readonly number[] | null,
  held: Tensor[],
): Promise<Traced> {
  const ctx = model.ctx;
  const started = performance.now();
  const { logits, captured } = model.forward(input, { capture, ...(tape ? { tape } : {}) });
  held.push(logits, ...captured.values());
  // The logits come back while the backward runs: the top class's seed is made on the GPU (the first largest
  // logit, as topK picks it), so the backward is submitted behind the forward without waiting for them.
  let forwardMs = 0;
  const logitsRead = readHost(logits).then((host) => ((forwardMs = performance.now() - started), host));
  logitsRead.catch(() => undefined); // awaited below; a failure surfaces there
  let grads: BackwardResult | null = null;
  if (tape) {
    let seed: Tensor;
    if (explicitTargets) seed = targetSeed(ctx, explicitTargets);
    else {
      const top = topClassSeed(ctx, logits);
      held.push(top.targets);
      seed = top.seed;
    }
    held.push(seed);
    grads = tape.backward(logits, seed);
    held.push(...grads.paths.values(), ...grads.params.values());
    if (grads.input) held.push(grads.input);
    ctx.flush();
  }
  const logitsHost = await logitsRead;
  const targets: number[] = explicitTargets ? [...explicitTargets] : topK(logitsHost, logitsHost, 1).map((p) => p[0]!.index);
  return { logits, logitsHost, targets, captured, grads, forwardMs };
}

/** Grad-CAM with every intermediate (act, grad, weights, raw, per-layer maps and overlays), gradients on request. */
export async function gradcamNow(model: ResNet50, input: Tensor, options: GradCamOptions): Promise<GradCamResult> {
  const { layers, explicitTargets, lut, alpha } = commonOptions(input, options);
  const params = options.params ?? [];
  checkParams(params);
  const [, , height, width] = input.shape as [number, number, number, number];
  const ctx = model.ctx;
  const tape = new Tape(ctx, { paths: layers, input: options.inputGrad === true, params });
  const started = performance.now();
  const held: Tensor[] = [];
  try {
    const traced = await forwardAndBackward(model, input, layers, tape, explicitTargets, held);
    const grads = traced.grads!;
    const pictureBytes = packPictures(options.pictures, input.shape);
    // Every layer's CAM, then everything read back at once (one round trip, `readMany`).
    const perLayerTensors = layers.map((layer) => {
      const act = traced.captured.get(layer)!;
      const grad = grads.paths.get(layer)!;
      const cam = gradCamFromActivations(ctx, act, grad, [height, width]);
      held.push(cam.weights, cam.raw, cam.map);
      return [act, grad, cam.weights, cam.raw, cam.map] as const;
    });
    const maps = perLayerTensors.map((t) => t[4]);
    const combined = layers.length === 1 ? maps[0]! : averageCamMaps(ctx, maps);
    if (layers.length > 1) held.push(combined);
    const paramNames = [...grads.params.keys()];
    const host = await readHostAll(ctx, [...perLayerTensors.flat(), combined, ...grads.params.values(), ...(grads.input ? [grads.input] : [])]);
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
    return { logits: traced.logitsHost, targets: traced.targets, layers: perLayer, map, overlay, inputGrad, paramGrads, forwardMs: traced.forwardMs, totalMs: performance.now() - started };
  } finally {
    tape.dispose();
    for (const t of held) t.release();
  }
}

function bytesOf(f: Float32Array, length: number): Uint8Array {
  return new Uint8Array(f.buffer, f.byteOffset, length);
}

/** One method's final map [N, H, W]: its own (finalMap) or its per-layer maps scaled and aggregated. */
async function methodMap(run: CamRun, method: CamMethod): Promise<Tensor> {
  if (method.finalMap) return method.finalMap(run);
  if (!method.layerCam) throw new Error(`CAM method ${method.name} has neither layerCam nor finalMap`);
  const scaled: Tensor[] = [];
  try {
    for (const layer of run.layers) {
      const act = run.captured.get(layer)!;
      const grad = run.grads?.paths.get(layer) ?? null;
      const raw = await method.layerCam(run, { layer, act, grad });
      try {
        scaled.push(scaleCamImage(run.ctx, raw, run.outSize, true));
      } finally {
        raw.release();
      }
    }
    return averageCamMaps(run.ctx, scaled);
  } finally {
    for (const s of scaled) s.release();
  }
}

/** Each method's final map for one traced run, in order (the caller releases them). */
async function methodMaps(run: CamRun, methods: readonly CamMethod[]): Promise<Tensor[]> {
  const maps: Tensor[] = [];
  try {
    for (const method of methods) maps.push(await methodMap(run, method));
    return maps;
  } catch (e) {
    for (const m of maps) m.release();
    throw e;
  }
}

/** Several CAM methods on one input: one forward, one backward, every map and overlay read back at once. */
export async function explainNow(model: ResNet50, input: Tensor, options: ExplainOptions = {}): Promise<ExplainResult> {
  const { layers, explicitTargets, lut, alpha } = commonOptions(input, options);
  const methods = resolveCamMethods(options.methods ?? []);
  const batchSize = options.batchSize ?? null;
  if (batchSize !== null) checkBatchSize(batchSize);
  const metrics = checkCamMetrics(options.metrics ?? []);
  const ctx = model.ctx;
  const [batch, , height, width] = input.shape as [number, number, number, number];

  // What the methods ask of the forward and the backward.
  const capture = new Set(layers);
  const gradPaths = new Set<string>();
  let inputGrad = false;
  for (const m of methods) {
    const request = m.request?.(layers) ?? {};
    for (const p of request.paths ?? []) assertModulePath(p);
    for (const p of request.paths ?? []) capture.add(p);
    if (!m.needsGradient) continue;
    if (m.layerCam) for (const l of layers) gradPaths.add(l);
    for (const p of request.paths ?? []) gradPaths.add(p);
    inputGrad ||= request.input === true;
  }
  const newTape = () => (gradPaths.size > 0 || inputGrad ? new Tape(ctx, { paths: [...gradPaths], input: inputGrad }) : null);
  const tape = newTape();
  const started = performance.now();
  const held: Tensor[] = [];
  let pictures: OverlayPictures | null = null;
  try {
    const traced = await forwardAndBackward(model, input, [...capture], tape, explicitTargets, held);
    const run: CamRun = {
      ctx,
      model,
      input,
      logits: traced.logits,
      targets: traced.targets,
      outSize: [height, width],
      layers,
      eigenSmooth: options.eigenSmooth === true,
      batchSize,
      captured: traced.captured,
      grads: traced.grads,
      progress: (p) => options.onProgress?.(p),
    };
    const pictureBytes = packPictures(options.pictures, input.shape);
    let maps = await methodMaps(run, methods);
    held.push(...maps);
    if (options.augSmooth) {
      // The other five augmented runs, each a forward, targets, a backward and the methods, as the plain one.
      maps = await augmentationSmoothing(ctx, input, maps, async (augmented) => {
        const runHeld: Tensor[] = [];
        const runTape = newTape();
        try {
          const t = await forwardAndBackward(model, augmented, [...capture], runTape, explicitTargets, runHeld);
          return await methodMaps({ ...run, input: augmented, logits: t.logits, targets: t.targets, captured: t.captured, grads: t.grads }, methods);
        } finally {
          runTape?.dispose();
          for (const x of runHeld) x.release();
        }
      });
      held.push(...maps);
    }
    const overlays: Array<Tensor | null> = [];
    for (const map of maps) {
      if (pictureBytes) pictures ??= uploadPictures(ctx, map, pictureBytes, lut);
      const overlay = pictures ? overlayTensor(ctx, map, pictures, alpha) : null;
      if (overlay) held.push(overlay);
      overlays.push(overlay);
    }
    // Metrics: per method and metric, [N].
    const metricTensors: Tensor[][] = maps.map(() => []);
    if (metrics.length > 0) {
      const targetTensor = ctx.upload(Uint32Array.from(traced.targets), [batch], 'u32', 'targets');
      held.push(targetTensor);
      maps.forEach((map, i) => {
        for (const metric of metrics) {
          if (metric === 'cam-mult') metricTensors[i]!.push(camMultChange(model, input, traced.logits, map, targetTensor));
        }
        held.push(...metricTensors[i]!);
      });
    }
    let gradient: Tensor | null = null;
    let guidedBytes: Awaited<ReturnType<typeof guidedPictures>> | null = null;
    if (options.guided) {
      gradient = guidedBackprop(model, input, traced.targets);
      held.push(gradient);
      guidedBytes = await guidedPictures(ctx, gradient, maps[0]!);
    }
    const overlayTensors = overlays.filter((o): o is Tensor => o !== null);
    const host = await ctx.readMany([...maps, ...overlayTensors, ...metricTensors.flat(), ...(gradient ? [gradient] : [])]);
    const overlayBytes = batch * height * width * 3;
    let k = maps.length;
    const results = new Map<string, MethodResult>();
    methods.forEach((m, i) => {
      const overlay = overlays[i] ? bytesOf(host[k++]!, overlayBytes) : null;
      results.set(m.name, { map: { shape: [...maps[i]!.shape], data: host[i]! }, overlay });
    });
    if (metrics.length > 0) {
      for (const m of methods) results.get(m.name)!.metrics = new Map(metrics.map((metric) => [CAM_METRICS[metric], { shape: [batch], data: host[k++]! }]));
    }
    const guided = gradient && guidedBytes ? { gradient: { shape: [...gradient.shape], data: host[k++]! }, ...guidedBytes } : undefined;
    return {
      logits: traced.logitsHost,
      targets: traced.targets,
      methods: results,
      ...(guided ? { guided } : {}),
      forwardMs: traced.forwardMs,
      totalMs: performance.now() - started,
    };
  } finally {
    tape?.dispose();
    for (const t of held) t.release();
    pictures?.image.release();
    pictures?.levels.release();
  }
}

export type { CamProgress };
