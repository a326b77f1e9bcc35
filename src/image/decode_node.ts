// Image files in Node: PNG through pngjs, JPEG through jpeg-js (both pure JavaScript). The format is told by
// magic bytes, not the extension. Everything becomes 8-bit RGB the way PIL's Image.open(...).convert('RGB')
// (torchvision's loader) does it:
// - alpha is dropped, not composited: a transparent pixel keeps its colour;
// - grayscale is replicated; palettes are expanded (their tRNS transparency ignored);
// - 16-bit samples keep their high byte (PIL's "RGB;16B" unpacking). Exception: PIL opens a 16-bit *grayscale*
//   PNG as 32-bit integers and convert('RGB') clips them to 255 (a near-white picture); here it keeps the
//   high byte like the colour types, which is what the picture means;
// - 1/2/4-bit grayscale is scaled to 0..255 (x255, x85, x17);
// - a tRNS colour key on a gray/RGB PNG is ignored (pngjs would zero those pixels; PIL keeps them).
// JPEG: grayscale is replicated, Adobe CMYK/YCCK is converted to RGB by jpeg-js. jpeg-js upsamples chroma by
// nearest neighbour and has its own IDCT, so a JPEG's pixels can differ from libjpeg's (PIL's) by a few
// levels; PNGs are exact. EXIF orientation is not applied (PIL does not either, unless asked).
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { WgcamError } from '../errors.ts';
import { MAX_IMAGE_FILE_BYTES, readBounded } from '../node/read_bounded.ts';
import { quote } from '../quote.ts';
import type { RgbImage } from './types.ts';

/** Larger pictures are refused before decoding; 12000 x 9000 is 108 MP. */
export const MAX_MEGAPIXELS = 200;
/**
 * jpeg-js's own allocation cap. It counts about 21 bytes a pixel for a 4:4:4 JPEG (Int32 coefficient blocks,
 * component lines, the RGBA output): a 12000 x 9000 one needs about 2.3 GB, so the cap follows MAX_MEGAPIXELS.
 */
const JPEG_MEMORY_MB = MAX_MEGAPIXELS * 24;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ImageFormat = 'png' | 'jpeg';

/** The format by magic bytes, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.byteLength >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.byteLength >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Read and decode an image file. The file is bounded (MAX_IMAGE_FILE_BYTES; devices and folders refused) and
 * judged by its first bytes before the rest is read: not PNG or JPEG, or a PNG whose header is above the
 * megapixel limit, stops the read.
 */
export async function decodeImageFile(path: string): Promise<RgbImage> {
  const bytes = await readBounded(path, {
    what: 'image',
    maxBytes: MAX_IMAGE_FILE_BYTES,
    notFound: (m) => new WgcamError('IMAGE_NOT_FOUND', m),
    empty: (m) => new WgcamError('IMAGE_EMPTY', m),
    hint: 'pass a PNG or JPEG file',
    inspect: (head) => {
      const name = quote(path);
      const format = sniffImageFormat(head);
      if (!format) throw notAnImage(name);
      if (format === 'png') pngHeader(head, name);
    },
  });
  return decodeImageBytes(bytes, path);
}

function notAnImage(name: string): WgcamError {
  return new WgcamError('IMAGE_NOT_AN_IMAGE', `${name} is neither PNG nor JPEG (by its first bytes): convert it to PNG or JPEG`);
}

export function decodeImageBytes(bytes: Uint8Array, nameForErrors = 'image'): RgbImage {
  const name = quote(nameForErrors);
  if (bytes.byteLength === 0) throw new WgcamError('IMAGE_EMPTY', `${name} is empty (0 bytes): copy or download the picture again`);
  const format = sniffImageFormat(bytes);
  if (!format) throw notAnImage(name);
  const image = format === 'png' ? decodePng(bytes, name) : decodeJpeg(bytes, name);
  if (image.width === 0 || image.height === 0) {
    throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size (${image.width}x${image.height}): use a real picture`);
  }
  return image;
}

function truncated(name: string, e: unknown): WgcamError {
  const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new WgcamError('IMAGE_TRUNCATED', `${name} could not be decoded (${why}): the file is damaged or cut short; copy it again or re-save it`);
}

function checkMegapixels(name: string, width: number, height: number): void {
  if (width * height > MAX_MEGAPIXELS * 1e6) {
    throw new WgcamError('BAD_ARGUMENT', `${name} is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} MP), above the ${MAX_MEGAPIXELS} MP this decoder takes: scale it down first`);
  }
}

interface PngChunk {
  type: string;
  start: number;
  end: number;
}

/** The chunks of a PNG, as far as they are whole; stops at the first one cut short. */
function pngChunks(bytes: Uint8Array): PngChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = 8; at + 12 <= bytes.byteLength; ) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.byteLength) break;
    chunks.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), start: at, end });
    at = end;
  }
  return chunks;
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: boolean;
}

/** The IHDR of a PNG's first bytes, checked against the size limits before anything is decoded. */
function pngHeader(bytes: Uint8Array, name: string): PngHeader {
  const ihdr = pngChunks(bytes)[0];
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.end - ihdr.start < 12 + 13) throw truncated(name, new Error('no IHDR chunk'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = {
    width: view.getUint32(ihdr.start + 8),
    height: view.getUint32(ihdr.start + 12),
    depth: bytes[ihdr.start + 16]!,
    colorType: bytes[ihdr.start + 17]!,
    interlace: bytes[ihdr.start + 20] === 1,
  };
  if (header.width === 0 || header.height === 0) throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size (${header.width}x${header.height}): use a real picture`);
  checkMegapixels(name, header.width, header.height);
  return header;
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7's passes: x and y start, x and y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Bytes of a PNG's filtered scanlines (a filter byte per row), interlaced or not. */
function pngRawBytes(h: PngHeader): number {
  const bits = (PNG_CHANNELS[h.colorType] ?? 0) * h.depth;
  const rows = (width: number, height: number) => (width > 0 && height > 0 ? height * (1 + Math.ceil((width * bits) / 8)) : 0);
  if (!h.interlace) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

/**
 * The image data must inflate completely to exactly the scanlines the header announces. pngjs does not check
 * this: when the data ends early it returns its output buffer as it stands, uninitialised memory included.
 */
function checkPngData(bytes: Uint8Array, chunks: PngChunk[], header: PngHeader, name: string): void {
  const idat = chunks.filter((c) => c.type === 'IDAT');
  if (idat.length === 0) throw truncated(name, new Error('no image data (IDAT)'));
  const data = Buffer.concat(idat.map((c) => bytes.subarray(c.start + 8, c.end - 4)));
  const expected = pngRawBytes(header);
  let inflated: Buffer;
  try {
    inflated = inflateSync(data, { maxOutputLength: Math.max(expected, 1) });
  } catch (e) {
    const why = e instanceof RangeError ? 'more image data than the header announces' : e instanceof Error ? e.message : String(e);
    throw truncated(name, new Error(why));
  }
  if (inflated.length !== expected) throw truncated(name, new Error(`${inflated.length} of ${expected} bytes of image data`));
}

function decodePng(bytes: Uint8Array, name: string): RgbImage {
  const chunks = pngChunks(bytes);
  const header = pngHeader(bytes, name);
  const { width, height, depth, colorType } = header;
  checkPngData(bytes, chunks, header, name);
  // pngjs blanks the pixels matching a gray/RGB tRNS colour key (RGB and alpha); PIL keeps their colour.
  let source = bytes;
  if ((colorType === 0 || colorType === 2) && chunks.some((c) => c.type === 'tRNS')) {
    const parts = [bytes.subarray(0, 8)];
    let last = 8;
    for (const c of chunks) {
      if (c.type === 'tRNS') {
        parts.push(bytes.subarray(last, c.start));
        last = c.end;
      }
    }
    parts.push(bytes.subarray(last));
    source = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (source.set(p, at), at + p.length), 0);
  }
  let rgba: ArrayLike<number>;
  try {
    // 16-bit samples come back unscaled (Uint16Array) and keep their high byte below, as PIL does; lower depths
    // are scaled to 8 bits by pngjs (skipRescale only where the depth is 16).
    const png = PNG.sync.read(Buffer.from(source.buffer, source.byteOffset, source.byteLength), { skipRescale: depth === 16 });
    if (png.width !== width || png.height !== height) throw new Error('size mismatch');
    rgba = png.data as unknown as ArrayLike<number>;
  } catch (e) {
    throw truncated(name, e);
  }
  if (rgba.length < width * height * 4) throw truncated(name, new Error('too few pixels'));
  return dropAlpha(rgba, width, height, depth === 16 ? 8 : 0);
}

/**
 * True when the JPEG carries an Adobe APP14 marker with transform 0 and no JFIF marker: libjpeg then reads
 * three components as RGB, not YCbCr. Walks the marker segments up to the first scan; malformed data says false
 * (the decoder reports it).
 */
export function isAdobeRgb(bytes: Uint8Array): boolean {
  let adobeTransform = -1;
  let jfif = false;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan, end of image
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const data = at + 4;
    const ascii = (offset: number, text: string) =>
      [...text].every((ch, i) => data + offset + i < bytes.length && bytes[data + offset + i] === ch.charCodeAt(0));
    if (marker === 0xe0 && ascii(0, 'JFIF')) jfif = true;
    if (marker === 0xee && ascii(0, 'Adobe') && data + 11 < bytes.length) adobeTransform = bytes[data + 11]!;
    if (length < 2) break;
    at += 2 + length;
  }
  return adobeTransform === 0 && !jfif;
}

/**
 * Where the first scan starts (after the SOS segment), walking the marker segments; -1 when there is none.
 * An EXIF thumbnail sits inside an APP segment before it, so its end-of-image marker is not mistaken for ours.
 */
function firstScan(bytes: Uint8Array): number {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return -1;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) return -1;
    if (marker === 0xda) return at + 2 + length;
    at += 2 + length;
  }
  return -1;
}

/** A JPEG is whole when an end-of-image marker follows its first scan (jpeg-js decodes cut files silently). */
function checkJpegComplete(bytes: Uint8Array, name: string): void {
  const scan = firstScan(bytes);
  if (scan < 0 || scan > bytes.length) throw truncated(name, new Error('no image data (SOS)'));
  for (let i = scan; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return;
  throw truncated(name, new Error('no end-of-image marker: the file ends early'));
}

function decodeJpeg(bytes: Uint8Array, name: string): RgbImage {
  checkJpegComplete(bytes, name);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_MEGAPIXELS,
      maxMemoryUsageInMB: JPEG_MEMORY_MB,
      // jpeg-js converts every 3-component JPEG from YCbCr; libjpeg (PIL) leaves Adobe transform-0 files as RGB.
      ...(isAdobeRgb(bytes) ? { colorTransform: false } : {}),
    });
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    if (/maxResolutionInMP|maxMemoryUsageInMB|allocate enough memory/.test(why)) {
      throw new WgcamError('BAD_ARGUMENT', `${name} is too large to decode (${why}): scale it down below ${MAX_MEGAPIXELS} MP first`);
    }
    if (/unsupported color mode|only single frame/i.test(why)) {
      throw new WgcamError('IMAGE_NOT_AN_IMAGE', `${name} is a JPEG kind this decoder does not support (${why}): re-save it as an RGB or grayscale JPEG, or as PNG`);
    }
    throw truncated(name, e);
  }
  if (img.width === 0 || img.height === 0) throw new WgcamError('IMAGE_ZERO_SIZE', `${name} has zero size (${img.width}x${img.height}): use a real picture`);
  if (img.data.length < img.width * img.height * 4) throw truncated(name, new Error('too few pixels'));
  return dropAlpha(img.data, img.width, img.height, 0);
}

/** RGBA samples (8-bit, or 16-bit shifted right by `shift`) to RGB bytes. */
function dropAlpha(rgba: ArrayLike<number>, width: number, height: number, shift: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]! >> shift;
    data[j + 1] = rgba[i + 1]! >> shift;
    data[j + 2] = rgba[i + 2]! >> shift;
  }
  return { width, height, data };
}

/** 8-bit RGB PNG (overlays). */
export function encodePng(img: RgbImage): Uint8Array {
  if (img.data.length !== img.width * img.height * 3) throw new Error(`encodePng: ${img.data.length} bytes for ${img.width}x${img.height} RGB`);
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}
