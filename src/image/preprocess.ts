// torchvision's ImageNet preset on the GPU: Resize(256) with PIL's antialiased bilinear filter, CenterCrop(224),
// ToTensor, Normalize(mean, std). Decoded RGB bytes go up once; the normalised batch and the cropped pictures
// (for overlays) come out.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { centerCropNormalize } from '../kernels/center_crop_normalize.ts';
import { pilBilinearCoefficients, resizePass } from '../kernels/resize_antialias.ts';
import { WgcamError } from '../errors.ts';
import type { RgbImage } from './types.ts';

export interface PreprocessOptions {
  resize?: number;
  crop?: number;
}

/** torchvision's _compute_resized_output_size for an int size: the shorter side becomes `size`. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision's CenterCrop offsets: int(round((h - size) / 2)), with Python's round-half-to-even. */
export function cropOffset(length: number, size: number): number {
  const v = (length - size) / 2;
  const floor = Math.floor(v);
  const frac = v - floor;
  if (frac !== 0.5) return Math.round(v);
  return floor % 2 === 0 ? floor : floor + 1;
}

export async function preprocessImages(ctx: GpuContext, images: readonly RgbImage[], options: PreprocessOptions = {}): Promise<{ input: Tensor; crops: RgbImage[] }> {
  const resize = options.resize ?? 256;
  const crop = options.crop ?? 224;
  if (images.length === 0) throw new WgcamError('BAD_ARGUMENT', 'no images to preprocess');
  const input = ctx.empty([images.length, 3, crop, crop], 'f32', 'input');
  const pixels: Tensor[] = [];
  try {
    images.forEach((image, n) => {
      if (image.width < 1 || image.height < 1) throw new WgcamError('IMAGE_ZERO_SIZE', `image ${n} has zero size`);
      const out = resizedSize(image.width, image.height, resize);
      const resized = resizeImage(ctx, image, out.width, out.height);
      const cropped = ctx.empty([crop, crop], 'u32', 'crop');
      pixels.push(cropped);
      const top = cropOffset(out.height, crop);
      const left = cropOffset(out.width, crop);
      centerCropNormalize(ctx, resized, out.width, { top, left, size: crop }, input, n, cropped);
      resized.release();
    });
    const crops: RgbImage[] = [];
    for (const p of pixels) crops.push({ width: crop, height: crop, data: unpackRgb(await ctx.readU32(p)) });
    return { input, crops };
  } catch (e) {
    input.release();
    throw e;
  } finally {
    for (const p of pixels) p.release();
  }
}

/**
 * Resize to outW x outH as PIL does: horizontal pass, then vertical. The source is uploaded in strips of rows
 * that fit one storage binding, so a 12000x9000 photo never needs a 432 MB buffer; the narrow intermediate does.
 */
export function resizeImage(ctx: GpuContext, image: RgbImage, outW: number, outH: number): Tensor {
  const { width: inW, height: inH } = image;
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize, 64 * 2 ** 20);
  const needHorizontal = outW !== inW;
  const needVertical = outH !== inH;
  const midW = needHorizontal ? outW : inW;
  const intermediate = ctx.empty([inH, midW], 'u32', 'resize intermediate');
  const horizontal = needHorizontal ? uploadCoefficients(ctx, inW, outW) : null;
  try {
    const rowsPerStrip = Math.max(1, Math.floor(limit / (inW * 4)));
    for (let row = 0; row < inH; row += rowsPerStrip) {
      const rows = Math.min(rowsPerStrip, inH - row);
      const strip = packRgb(image.data.subarray(row * inW * 3, (row + rows) * inW * 3));
      if (horizontal) {
        const src = ctx.upload(strip, [rows, inW], 'u32', 'image strip');
        resizePass(ctx, src, intermediate, { inW, inH: rows, outW: midW, outH: rows, outRowOffset: row }, true, horizontal);
        src.release();
      } else {
        ctx.flush();
        ctx.device.queue.writeBuffer(intermediate.buffer, row * inW * 4, strip.buffer, strip.byteOffset, strip.byteLength);
      }
    }
  } finally {
    horizontal && releaseCoefficients(horizontal);
  }
  if (!needVertical) return intermediate;
  const vertical = uploadCoefficients(ctx, inH, outH);
  const out = ctx.empty([outH, outW], 'u32', 'resized');
  resizePass(ctx, intermediate, out, { inW: midW, inH, outW, outH }, false, vertical);
  releaseCoefficients(vertical);
  intermediate.release();
  return out;
}

function uploadCoefficients(ctx: GpuContext, inSize: number, outSize: number) {
  const c = pilBilinearCoefficients(inSize, outSize);
  return {
    first: ctx.upload(c.first, [outSize], 'u32'),
    taps: ctx.upload(c.taps, [outSize], 'u32'),
    coeffs: ctx.upload(c.coeffs, [c.coeffs.length], 'i32'),
    kernelSize: c.kernelSize,
  };
}

function releaseCoefficients(c: { first: Tensor; taps: Tensor; coeffs: Tensor }): void {
  c.first.release();
  c.taps.release();
  c.coeffs.release();
}

/** RGB bytes to one little-endian u32 per pixel (R in the low byte). */
export function packRgb(rgb: Uint8Array): Uint32Array {
  const out = new Uint32Array(rgb.length / 3);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = rgb[j]! | (rgb[j + 1]! << 8) | (rgb[j + 2]! << 16);
  return out;
}

export function unpackRgb(packed: Uint32Array): Uint8Array {
  const out = new Uint8Array(packed.length * 3);
  for (let i = 0, j = 0; i < packed.length; i++, j += 3) {
    const p = packed[i]!;
    out[j] = p & 0xff;
    out[j + 1] = (p >>> 8) & 0xff;
    out[j + 2] = (p >>> 16) & 0xff;
  }
  return out;
}
