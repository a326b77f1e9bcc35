// Image decoding in the browser: createImageBitmap does PNG, JPEG, WebP, GIF...; the pixels come out through an
// OffscreenCanvas. Alpha is dropped (as PIL's convert('RGB')), and the bitmap is not colour-managed or
// premultiplied, so the bytes match what a decoder in Node gives.
import { WgcamError } from '../errors.ts';
import type { RgbImage } from './types.ts';

export async function decodeImageBlob(blob: Blob, name = 'image'): Promise<RgbImage> {
  if (blob.size === 0) throw new WgcamError('IMAGE_EMPTY', `${name} is empty (0 bytes): choose a PNG or JPEG file`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new WgcamError('IMAGE_NOT_AN_IMAGE', `${name} could not be decoded: use a PNG or JPEG file`);
  }
  const { width, height } = bitmap;
  if (width === 0 || height === 0) {
    bitmap.close();
    throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size: choose a real picture`);
  }
  return rgbFromBitmap(bitmap, true);
}

/** Pixels of a bitmap (or a video frame drawn into one) as RGB bytes. */
export function rgbFromBitmap(source: ImageBitmap, close = false): RgbImage {
  const { width, height } = source;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new WgcamError('IMAGE_NOT_AN_IMAGE', 'this browser cannot read image pixels (no 2D canvas)');
  context.drawImage(source, 0, 0);
  if (close) source.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}
