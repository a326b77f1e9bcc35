// torchvision's ImageNet preset on the GPU: Resize(256) with PIL's antialiased bilinear filter, CenterCrop(224),
// ToTensor, Normalize(mean, std). Decoded RGB bytes go up once (in strips for huge photos); the normalised batch
// stays on the GPU and the cropped pictures (for overlays) come back to the CPU.
//
// On the GPU, pictures are packed one u32 per pixel, R in the low byte, then G, B (the top byte is 0).
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { centerCropNormalize } from '../kernels/image/center_crop_normalize.ts';
import { pilBilinearCoefficients, resizePass, type ResizeCoefficients } from '../kernels/image/resize_antialias.ts';
import { WgcamError } from '../errors.ts';
import type { RgbImage } from './types.ts';

export interface PreprocessOptions {
  /** The shorter side after resizing (torchvision's Resize(int)); default 256. */
  resize?: number;
  /** The side of the centre crop; default 224, at most `resize`. */
  crop?: number;
}

export interface PreprocessResult {
  /** [N, 3, crop, crop] float32, normalised with the ImageNet mean and std. The caller releases it. */
  input: Tensor;
  /** The cropped pictures, crop x crop RGB bytes each (PIL's resized and cropped uint8 image). */
  crops: RgbImage[];
}

/** torchvision's _compute_resized_output_size for an int size: the shorter side becomes `size`. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  // Python's int(size * long / short): the product first, in float64, then truncation.
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision's CenterCrop offsets: int(round((length - size) / 2.0)), Python's round-half-to-even. */
export function cropOffset(length: number, size: number): number {
  const v = (length - size) / 2;
  const floor = Math.floor(v);
  if (v - floor !== 0.5) return Math.round(v);
  return floor % 2 === 0 ? floor : floor + 1;
}

export async function preprocessImages(ctx: GpuContext, images: readonly RgbImage[], options: PreprocessOptions = {}): Promise<PreprocessResult> {
  const resize = options.resize ?? 256;
  const crop = options.crop ?? 224;
  if (images.length === 0) throw new WgcamError('BAD_ARGUMENT', 'no images to preprocess: pass at least one picture');
  if (!Number.isInteger(resize) || !Number.isInteger(crop) || crop < 1 || resize < crop) {
    throw new WgcamError('BAD_ARGUMENT', `resize ${resize} / crop ${crop}: both must be whole numbers with 1 <= crop <= resize`);
  }
  images.forEach((image, n) => {
    if (!(image.width >= 1 && image.height >= 1)) throw new WgcamError('IMAGE_ZERO_SIZE', `image ${n} is ${image.width}x${image.height}: use a real picture`);
    if (image.data.length !== image.width * image.height * 3) {
      throw new Error(`preprocessImages: image ${n} has ${image.data.length} bytes, not ${image.width}x${image.height}x3`);
    }
  });
  const input = ctx.empty([images.length, 3, crop, crop], 'f32', 'input');
  let pixels: Tensor | null = null;
  try {
    pixels = ctx.empty([images.length, crop, crop], 'u32', 'crops');
    for (let n = 0; n < images.length; n++) {
      const image = images[n]!;
      const out = resizedSize(image.width, image.height, resize);
      const resized = resizeImage(ctx, image, out.width, out.height);
      try {
        centerCropNormalize(ctx, resized, out.width, { top: cropOffset(out.height, crop), left: cropOffset(out.width, crop), size: crop }, input, n, pixels);
      } finally {
        resized.release();
      }
    }
    const all = unpackRgb(await ctx.readU32(pixels));
    const bytes = crop * crop * 3;
    const crops = images.map((_, n) => ({ width: crop, height: crop, data: all.slice(n * bytes, (n + 1) * bytes) }));
    return { input, crops };
  } catch (e) {
    input.release();
    throw e;
  } finally {
    pixels?.release();
  }
}

export interface ResizeOptions {
  /**
   * The most bytes of source pixels uploaded at once (default: 64 MiB, or the device's binding limit if lower).
   * A larger picture goes up in strips of rows, each horizontally resized into the narrow intermediate.
   */
  stripBytes?: number;
}

/**
 * PIL's Image.resize((outW, outH), BILINEAR) of an 8-bit RGB picture, on the GPU: the horizontal pass, then the
 * vertical one, each skipped when that side keeps its length. Returns [outH, outW] packed pixels (u32, R in the
 * low byte). The source goes up in strips of rows that fit one storage binding, so a 12000x9000 photo never
 * needs a 432 MB buffer; only the (narrow) intermediate holds every row.
 */
export function resizeImage(ctx: GpuContext, image: RgbImage, outW: number, outH: number, options: ResizeOptions = {}): Tensor {
  const { width: inW, height: inH } = image;
  if (!(outW >= 1 && outH >= 1 && Number.isInteger(outW) && Number.isInteger(outH))) throw new Error(`resizeImage: bad output size ${outW}x${outH}`);
  const limit = options.stripBytes ?? Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize, 64 * 2 ** 20);
  const needHorizontal = outW !== inW;
  const needVertical = outH !== inH;
  const midW = needHorizontal ? outW : inW;
  const intermediate = ctx.empty([inH, midW], 'u32', 'resize intermediate');
  try {
    const horizontal = needHorizontal ? uploadCoefficients(ctx, pilBilinearCoefficients(inW, outW)) : null;
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
          // Queue writes run after the work submitted before them: flush what is encoded first.
          ctx.flush();
          ctx.device.queue.writeBuffer(intermediate.buffer, row * inW * 4, strip.buffer, strip.byteOffset, strip.byteLength);
        }
      }
    } finally {
      if (horizontal) releaseCoefficients(horizontal);
    }
  } catch (e) {
    intermediate.release();
    throw e;
  }
  if (!needVertical) return intermediate;
  try {
    const vertical = uploadCoefficients(ctx, pilBilinearCoefficients(inH, outH));
    try {
      const out = ctx.empty([outH, outW], 'u32', 'resized');
      resizePass(ctx, intermediate, out, { inW: midW, inH, outW, outH }, false, vertical);
      return out;
    } finally {
      releaseCoefficients(vertical);
    }
  } finally {
    intermediate.release();
  }
}

interface GpuCoefficients {
  first: Tensor;
  taps: Tensor;
  coeffs: Tensor;
  kernelSize: number;
}

function uploadCoefficients(ctx: GpuContext, c: ResizeCoefficients): GpuCoefficients {
  return {
    first: ctx.upload(c.first, [c.first.length], 'u32', 'resize first'),
    taps: ctx.upload(c.taps, [c.taps.length], 'u32', 'resize taps'),
    coeffs: ctx.upload(c.coeffs, [c.coeffs.length], 'i32', 'resize coefficients'),
    kernelSize: c.kernelSize,
  };
}

function releaseCoefficients(c: GpuCoefficients): void {
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

/** The inverse of packRgb. */
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
