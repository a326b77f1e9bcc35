// Grad-CAM on the GPU, as pytorch-grad-cam's GradCAM and show_cam_on_image compute it (see
// /work/shared/fixtures/README.md). Every reduction (means, sums, minima, maxima) runs in WGSL; only what the
// caller reads back leaves the GPU.
//
// Per target layer (compute_cam_per_layer): weights = spatial mean of the gradient, raw = ReLU(sum_c w * A),
// then scale_cam_image: min-max normalise and resize to the input size. Then aggregate_multi_layer: max(0, .),
// mean over layers, min-max normalise again. One layer is the same path with a mean of one, which is exactly
// the README's step 5 (the second normalisation).
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { camLayerMean } from '../kernels/cam/cam_layer_mean.ts';
import { camMinMaxNormalize } from '../kernels/cam/cam_minmax_normalize.ts';
import { camOverlay } from '../kernels/cam/cam_overlay.ts';
import { camResizeBilinear } from '../kernels/cam/cam_resize_bilinear.ts';
import { camWeightedSum } from '../kernels/cam/cam_channel_sum.ts';
import { globalAvgPool } from '../kernels/pool/global_avgpool.ts';

export interface CamLayer {
  /** [N, C]: the spatial mean of the gradient. */
  weights: Tensor;
  /** [N, h, w]: max(0, sum over c of weights * activations). */
  raw: Tensor;
  /** [N, H, W]: raw min-max normalised, then resized to the input size (scale_cam_image). */
  scaled: Tensor;
}

export interface GradCamResult {
  weights: Tensor;
  raw: Tensor;
  /** [N, H, W] in [0, 1]: the final map (steps 3-5). */
  map: Tensor;
}

function checkPair(act: Tensor, grad: Tensor): void {
  if (act.shape.length !== 4 || act.shape.join(',') !== grad.shape.join(',')) {
    throw new Error(`Grad-CAM: activations [${act.shape.join(',')}] and gradient [${grad.shape.join(',')}] must be one NCHW shape`);
  }
}

/**
 * pytorch-grad-cam's scale_cam_image with a target size: per image min-max normalise, then cv2.resize. With
 * `relu`, np.maximum(cam, 0) first (compute_cam_per_layer's, for raw maps that may be negative).
 */
export function scaleCamImage(ctx: GpuContext, cam: Tensor, outSize: readonly [number, number], relu = false): Tensor {
  const normalised = camMinMaxNormalize(ctx, cam, relu);
  const resized = camResizeBilinear(ctx, normalised, outSize);
  normalised.release();
  return resized;
}

/** Steps 1-4 for one target layer: act and grad [N, C, h, w] -> weights, raw and the scaled map [N, H, W]. */
export function gradCamLayer(ctx: GpuContext, act: Tensor, grad: Tensor, outSize: readonly [number, number]): CamLayer {
  checkPair(act, grad);
  const weights = globalAvgPool(ctx, grad);
  const raw = camWeightedSum(ctx, act, weights);
  return { weights, raw, scaled: scaleCamImage(ctx, raw, outSize) };
}

/**
 * aggregate_multi_layer: the per-layer scaled maps (all [N, H, W]) -> max(0, .), mean over layers, then min-max
 * normalised per image. The inputs are not released.
 */
export function averageCamMaps(ctx: GpuContext, maps: readonly Tensor[]): Tensor {
  if (maps.length === 0) throw new Error('averageCamMaps: no maps');
  if (maps.length === 1) return camMinMaxNormalize(ctx, maps[0]!, true); // max(0, .) and a mean of one
  const mean = camLayerMean(ctx, maps);
  const map = camMinMaxNormalize(ctx, mean, true);
  mean.release();
  return map;
}

/** Grad-CAM for one target layer: act and grad [N, C, h, w], outSize [H, W] (the input size). */
export function gradCamFromActivations(ctx: GpuContext, act: Tensor, grad: Tensor, outSize: readonly [number, number]): GradCamResult {
  const { weights, raw, scaled } = gradCamLayer(ctx, act, grad, outSize);
  const map = averageCamMaps(ctx, [scaled]);
  scaled.release();
  return { weights, raw, map };
}

/** Grad-CAM over several target layers (pytorch-grad-cam with a list of target_layers) -> the map [N, H, W]. */
export function gradCamMultiLayer(
  ctx: GpuContext,
  layers: ReadonlyArray<{ act: Tensor; grad: Tensor }>,
  outSize: readonly [number, number],
): Tensor {
  const scaled = layers.map(({ act, grad }) => {
    const layer = gradCamLayer(ctx, act, grad, outSize);
    layer.weights.release();
    layer.raw.release();
    return layer.scaled;
  });
  const map = averageCamMaps(ctx, scaled);
  for (const s of scaled) s.release();
  return map;
}

/** f32 [1024]: lut / 255 (768 RGB entries), then b / 255 for b = 0..255, rounded once as numpy's float32 division. */
export function overlayLevels(lut: Uint8Array): Float32Array {
  if (lut.length !== 256 * 3) throw new Error(`overlay colormap has ${lut.length} bytes, not 768 (256 RGB entries)`);
  const levels = new Float32Array(1024);
  for (let i = 0; i < 768; i++) levels[i] = lut[i]! / 255;
  for (let b = 0; b < 256; b++) levels[768 + b] = b / 255;
  return levels;
}

/** Bytes packed four to a u32, zero-padded (little-endian: the bytes as they lie in memory). */
function packBytes(bytes: Uint8Array): Uint32Array {
  const padded = new Uint8Array(Math.max(4, Math.ceil(bytes.length / 4) * 4));
  padded.set(bytes);
  return new Uint32Array(padded.buffer);
}

/**
 * show_cam_on_image(image / 255, map, use_rgb=True, image_weight = 1 - alpha) for each image:
 * map [N, H, W] in [0, 1], images the [N, H, W, 3] uint8 RGB bytes, colormap a [256, 3] RGB LUT (see colormaps.ts).
 * Returns the [N, H, W, 3] uint8 overlay.
 */
export async function renderOverlay(ctx: GpuContext, map: Tensor, images: Uint8Array, colormap: Uint8Array, alpha = 0.5): Promise<Uint8Array> {
  const pictures = uploadPictures(ctx, map, images, colormap);
  const out = overlayTensor(ctx, map, pictures, alpha);
  try {
    return new Uint8Array(await ctx.readBytes(out.buffer, images.length));
  } finally {
    out.release();
    pictures.image.release();
    pictures.levels.release();
  }
}

/** The pictures and colormap of renderOverlay on the GPU, uploaded once for any number of maps of one shape. */
export interface OverlayPictures {
  /** The [N, H, W, 3] uint8 bytes packed four to a u32. */
  image: Tensor;
  /** overlayLevels(colormap). */
  levels: Tensor;
}

export function uploadPictures(ctx: GpuContext, map: Tensor, images: Uint8Array, colormap: Uint8Array): OverlayPictures {
  const [n, h, w] = map.shape as [number, number, number];
  if (map.shape.length !== 3 || images.length !== n * h * w * 3) {
    throw new Error(`renderOverlay: ${images.length} image bytes for a map [${map.shape.join(',')}] (want N*H*W*3)`);
  }
  const levels = ctx.upload(overlayLevels(colormap), [1024], 'f32', 'overlay levels');
  const packed = packBytes(images);
  const image = ctx.upload(packed, [packed.length], 'u32', 'overlay image');
  return { image, levels };
}

/**
 * renderOverlay without the read-back: the [N, H, W, 3] uint8 overlay packed into a u32 tensor (its first
 * N*H*W*3 bytes), for callers that read many results at once.
 */
export function overlayTensor(ctx: GpuContext, map: Tensor, { image, levels }: OverlayPictures, alpha: number): Tensor {
  // numpy forms (1 - image_weight) in double and rounds it once to float32: do the same.
  return camOverlay(ctx, { map, image, levels, heatWeight: alpha, imageWeight: 1 - alpha });
}
