// PNG and JPEG files written byte by byte for the decoding tests: pngjs writes only 8- and 16-bit PNGs without
// palettes, and jpeg-js cannot encode CMYK. Each test then knows exactly which pixels it should get back.
import { deflateSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------------------
// A PNG writer for every colour type, bit depth and Adam7 interlacing (pngjs writes only 8/16-bit, no palette).

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export type ColorType = 0 | 2 | 3 | 4 | 6;
export type Depth = 1 | 2 | 4 | 8 | 16;
export const CHANNELS: Record<ColorType, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
export const LEGAL: Array<[ColorType, Depth]> = [
  [0, 1], [0, 2], [0, 4], [0, 8], [0, 16],
  [2, 8], [2, 16],
  [3, 1], [3, 2], [3, 4], [3, 8],
  [4, 8], [4, 16],
  [6, 8], [6, 16],
];

export interface PngSpec {
  width: number;
  height: number;
  colorType: ColorType;
  depth: Depth;
  /** CHANNELS[colorType] samples per pixel, row-major, each < 2^depth (palette indices for type 3). */
  samples: number[];
  palette?: Array<[number, number, number]>;
  trns?: number[];
  interlace?: boolean;
}

const ADAM7: Array<[number, number, number, number]> = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

export function makePng(s: PngSpec): Uint8Array {
  const ch = CHANNELS[s.colorType];
  const passes: Array<[number, number, number, number]> = s.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((s.width - x0) / dx);
    const ph = Math.ceil((s.height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    for (let py = 0; py < ph; py++) {
      const row = new Uint8Array(Math.ceil((pw * ch * s.depth) / 8));
      let bit = 0;
      for (let px = 0; px < pw; px++) {
        const at = ((y0 + py * dy) * s.width + x0 + px * dx) * ch;
        for (let c = 0; c < ch; c++) {
          const v = s.samples[at + c]!;
          if (s.depth === 16) {
            row[bit >> 3] = v >> 8;
            row[(bit >> 3) + 1] = v & 0xff;
          } else if (s.depth === 8) row[bit >> 3] = v;
          else row[bit >> 3]! |= v << (8 - s.depth - (bit & 7));
          bit += s.depth;
        }
      }
      rows.push(0, ...row); // filter type 0
    }
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, s.width);
  new DataView(ihdr.buffer).setUint32(4, s.height);
  ihdr.set([s.depth, s.colorType, 0, 0, s.interlace ? 1 : 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (s.palette) parts.push(pngChunk('PLTE', Uint8Array.from(s.palette.flat())));
  if (s.trns) parts.push(pngChunk('tRNS', Uint8Array.from(s.trns)));
  parts.push(pngChunk('IDAT', new Uint8Array(deflateSync(Uint8Array.from(rows)))), pngChunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

// ---------------------------------------------------------------------------------------------------------
// A baseline JPEG writer: every 8x8 block one flat colour per component (DC coefficients only, unit
// quantisation, the standard Huffman tables), 1, 3 or 4 components, with or without an Adobe APP14 marker.

const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// An AC table holding only end-of-block (symbol 0x00), coded as the single bit 0... with a 1-bit code.
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const AC_VALUES = [0x00];

function huffmanCodes(bits: number[], values: number[]): Map<number, [number, number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]!; i++) codes.set(values[k++]!, [code++, length]);
    code <<= 1;
  }
  return codes;
}

export interface JpegSpec {
  width: number;
  height: number;
  components: 1 | 3 | 4;
  /** The stored samples (0..255) of block (bx, by), one per component. */
  block: (bx: number, by: number) => number[];
  /** Adobe APP14 transform flag (0: none, i.e. RGB or CMYK; 1: YCbCr; 2: YCCK); no marker when undefined. */
  adobe?: 0 | 1 | 2;
}

export function makeJpeg(s: JpegSpec): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  if (s.adobe !== undefined) segment(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, s.adobe]);
  segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
  const ids = Array.from({ length: s.components }, (_, i) => i + 1);
  segment(0xc0, [8, s.height >> 8, s.height & 0xff, s.width >> 8, s.width & 0xff, s.components, ...ids.flatMap((id) => [id, 0x11, 0])]);
  segment(0xc4, [0x00, ...DC_BITS, ...DC_VALUES]);
  segment(0xc4, [0x10, ...AC_BITS, ...AC_VALUES]);
  segment(0xda, [s.components, ...ids.flatMap((id) => [id, 0x00]), 0, 63, 0]);
  const dc = huffmanCodes(DC_BITS, DC_VALUES);
  let acc = 0;
  let count = 0;
  const put = (code: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((code >> i) & 1);
      if (++count === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0); // byte stuffing
        acc = 0;
        count = 0;
      }
    }
  };
  const previous = new Array<number>(s.components).fill(0);
  for (let by = 0; by < Math.ceil(s.height / 8); by++) {
    for (let bx = 0; bx < Math.ceil(s.width / 8); bx++) {
      const values = s.block(bx, by);
      for (let c = 0; c < s.components; c++) {
        const coefficient = 8 * (values[c]! - 128); // a flat block: every pixel is DC / 8 + 128
        const diff = coefficient - previous[c]!;
        previous[c] = coefficient;
        const size = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
        const [code, length] = dc.get(size)!;
        put(code, length);
        if (size > 0) put(diff > 0 ? diff : diff + (1 << size) - 1, size);
        put(0, 1); // end of block
      }
    }
  }
  if (count > 0) put((1 << (8 - count)) - 1, 8 - count); // pad with ones
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
