// Centre crop + ToTensor + Normalize for one image of a batch (see center_crop_normalize.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './center_crop_normalize.wgsl?raw';
import { groups1d, shader } from '../wgsl.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface CropWindow {
  top: number;
  left: number;
  size: number;
}

/**
 * Crop `size` x `size` at (top, left) from `src` (packed RGB, one u32 a pixel, `srcW` pixels a row, at least
 * top + size rows and left + size columns) into image `batchIndex` of `input` [N,3,size,size] (normalised
 * float32) and of `pixels` [N,size,size] (the cropped pixels, packed as `src`).
 */
export function centerCropNormalize(ctx: GpuContext, src: Tensor, srcW: number, crop: CropWindow, input: Tensor, batchIndex: number, pixels: Tensor): void {
  const area = crop.size * crop.size;
  if (input.size < (batchIndex + 1) * 3 * area || pixels.size < (batchIndex + 1) * area) {
    throw new Error(`centerCropNormalize: image ${batchIndex} of ${crop.size}x${crop.size} does not fit the output tensors`);
  }
  if (crop.left + crop.size > srcW || (crop.top + crop.size) * srcW > src.size) {
    throw new Error(`centerCropNormalize: a ${crop.size}x${crop.size} crop at (${crop.top}, ${crop.left}) leaves the ${srcW}-pixel-wide source`);
  }
  const buf = new ArrayBuffer(64);
  new Uint32Array(buf, 0, 8).set([srcW, crop.top, crop.left, crop.size, batchIndex, 0, 0, 0]);
  // float32 constants, as torchvision's Normalize turns the Python floats into a float32 tensor.
  new Float32Array(buf, 32, 8).set([...IMAGENET_MEAN, 0, ...IMAGENET_STD, 1]);
  ctx.dispatch(ctx.pipeline(shader(source), 'center_crop_normalize'), [ctx.uniform(buf), src, input, pixels], groups1d(area, 256), 'crop + normalise');
}
