// Image files in Node: PNG through pngjs, JPEG through jpeg-js (both pure JavaScript, well kept). The format is
// told by magic bytes, not the extension. Everything becomes 8-bit RGB: grayscale is replicated, alpha dropped
// (as PIL's convert('RGB'), which torchvision's loaders use), 16-bit reduced, palettes expanded, CMYK converted.
import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { WgcamError } from '../errors.ts';
import type { RgbImage } from './types.ts';

/** jpeg-js refuses images above this many megapixels; 12000 x 9000 is 108. */
const MAX_MEGAPIXELS = 200;

export async function decodeImageFile(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new WgcamError('IMAGE_NOT_FOUND', `${path} is a folder: pass an image file`);
    throw new WgcamError('IMAGE_NOT_FOUND', `cannot read image ${path} (${code ?? 'error'}): check the path`);
  }
  return decodeImageBytes(bytes, path);
}

export function decodeImageBytes(bytes: Uint8Array, name: string): RgbImage {
  if (bytes.byteLength === 0) throw new WgcamError('IMAGE_EMPTY', `${name} is empty (0 bytes): pass a PNG or JPEG file`);
  const isPng = bytes.byteLength >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.byteLength >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new WgcamError('IMAGE_NOT_AN_IMAGE', `${name} is neither PNG nor JPEG: convert it to one of those`);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (isPng) {
      // skipRescale off: 16-bit samples are scaled to 8 bits; palettes and gray expand to RGBA.
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 4096 });
      ({ width, height } = img);
      rgba = img.data;
    }
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new WgcamError('IMAGE_TRUNCATED', `${name} could not be decoded (${why}): the file is damaged or truncated`);
  }
  if (width === 0 || height === 0) throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size (${width}x${height}): pass a real picture`);
  if (rgba.byteLength < width * height * 4) throw new WgcamError('IMAGE_TRUNCATED', `${name} decoded to too few pixels: the file is damaged or truncated`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}

/** 8-bit RGB PNG (overlays). */
export function encodePng(img: RgbImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}
