// Image decoding in the browser: createImageBitmap does PNG, JPEG, WebP, GIF...; the pixels come out through an
// OffscreenCanvas, alpha dropped (as PIL's convert('RGB')). The bitmap is neither colour-managed nor
// premultiplied, so opaque pixels match what the Node decoder gives (PNG exactly; JPEG up to the decoders'
// small differences). Two differences from Node/PIL remain: the browser applies EXIF orientation, and a 2D
// canvas stores premultiplied alpha, so semi-transparent pixels lose colour precision (fully transparent ones
// read back black where PIL keeps their colour).
import { WgcamError } from '../errors.ts';
import type { RgbImage } from './types.ts';

/** Formats a browser may decode, by their magic bytes: a file that has one but fails to decode is damaged. */
function looksLikeImage(head: Uint8Array): boolean {
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  const ascii = (at: number, s: string) => [...s].every((ch, i) => head[at + i] === ch.charCodeAt(0));
  return (
    starts(0x89, 0x50, 0x4e, 0x47) || // PNG
    starts(0xff, 0xd8, 0xff) || // JPEG
    ascii(0, 'GIF8') ||
    (ascii(0, 'RIFF') && ascii(8, 'WEBP')) ||
    ascii(0, 'BM') ||
    (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis')))
  );
}

export async function decodeImageBlob(blob: Blob, name = 'image'): Promise<RgbImage> {
  if (blob.size === 0) throw new WgcamError('IMAGE_EMPTY', `${name} is empty (0 bytes): choose a PNG or JPEG file`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const head = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
    if (looksLikeImage(head)) throw new WgcamError('IMAGE_TRUNCATED', `${name} could not be decoded: the file is damaged or cut short; copy it again or re-save it`);
    throw new WgcamError('IMAGE_NOT_AN_IMAGE', `${name} is not an image this browser can decode: use a PNG or JPEG file`);
  }
  if (bitmap.width === 0 || bitmap.height === 0) {
    bitmap.close();
    throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size: choose a real picture`);
  }
  try {
    return rgbFromBitmap(bitmap);
  } finally {
    bitmap.close();
  }
}

/** Pixels of a bitmap (or a video frame drawn into one) as RGB bytes. `close` closes the bitmap afterwards. */
export function rgbFromBitmap(source: ImageBitmap, close = false): RgbImage {
  const { width, height } = source;
  try {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new WgcamError('IMAGE_NOT_AN_IMAGE', 'this browser cannot read image pixels (no 2D canvas): use another browser');
    context.drawImage(source, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
      data[j] = rgba[i]!;
      data[j + 1] = rgba[i + 1]!;
      data[j + 2] = rgba[i + 2]!;
    }
    return { width, height, data };
  } finally {
    if (close) source.close();
  }
}
