import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import source from './center_crop_normalize.wgsl?raw';
import { groups1d, shader } from './wgsl.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Crop `size` x `size` at (top, left) from `src` (srcW pixels a row) into image `batchIndex` of `input`. */
export function centerCropNormalize(
  ctx: GpuContext,
  src: Tensor,
  srcW: number,
  crop: { top: number; left: number; size: number },
  input: Tensor,
  batchIndex: number,
  pixels: Tensor,
): void {
  const buf = new ArrayBuffer(64);
  new Uint32Array(buf, 0, 8).set([srcW, crop.top, crop.left, crop.size, batchIndex, 0, 0, 0]);
  new Float32Array(buf, 32, 8).set([...IMAGENET_MEAN, 0, ...IMAGENET_STD, 1]);
  ctx.dispatch(ctx.pipeline(shader(source), 'center_crop_normalize'), [ctx.uniform(buf), src, input, pixels], groups1d(crop.size * crop.size, 256), 'crop + normalise');
}
