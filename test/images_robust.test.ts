// Image inputs that are unusual, huge or broken. Every PNG colour type and bit depth (interlaced or not) and
// every JPEG colour model jpeg-js knows (gray, YCbCr, Adobe CMYK and YCCK) is converted to 8-bit RGB, never
// rejected; a 12000x9000 picture goes through the GPU preprocessing (in strips) and leaves no GPU buffer
// behind; empty, zero-size, truncated, corrupted and non-image files give the right WgcamError codes, and
// nothing else. The PNG and JPEG files are written here byte by byte (jpeg-js cannot encode CMYK), so each
// test knows exactly which pixels it should get back.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { decodeImageBytes, decodeImageFile, encodePng } from '../src/image/decode_node.ts';
import { cropOffset, preprocessImages, resizedSize } from '../src/image/preprocess.ts';
import type { RgbImage } from '../src/image/types.ts';
import { writeSafetensors } from '../src/model/safetensors.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { CHANNELS, LEGAL, concat, makeJpeg, makePng, type PngSpec } from './helpers/image_files.ts';

const SEED_ENV = process.env.WGCAM_FUZZ_SEED;
const SEED = SEED_ENV === 'random' ? Date.now() % 2 ** 31 : Number(SEED_ENV ?? 777);
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed: SEED });

/** The codes decoding may throw (BAD_ARGUMENT: a header claiming more than the decoder's megapixel cap). */
const DECODE_CODES = new Set(['IMAGE_EMPTY', 'IMAGE_NOT_AN_IMAGE', 'IMAGE_TRUNCATED', 'IMAGE_ZERO_SIZE', 'BAD_ARGUMENT']);

/** 'ok' or the WgcamError's code; anything else thrown fails the test. */
function outcome(f: () => RgbImage): string {
  let image: RgbImage;
  try {
    image = f();
  } catch (e) {
    if (!(e instanceof WgcamError)) throw new Error(`not a WgcamError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect(e.message, 'one line').not.toMatch(/[\n\r]/);
    expect(DECODE_CODES.has(e.code), `unexpected code ${e.code}`).toBe(true);
    return e.code;
  }
  expect(image.width).toBeGreaterThan(0);
  expect(image.height).toBeGreaterThan(0);
  expect(image.data).toBeInstanceOf(Uint8Array);
  expect(image.data.length).toBe(image.width * image.height * 3);
  return 'ok';
}

/**
 * The RGB that PIL's Image.open(f).convert('RGB') gives, as src/image/decode_node.ts documents it: alpha and tRNS
 * ignored, gray replicated, 1/2/4-bit gray scaled by 255/(2^d - 1), 16-bit samples reduced to their high byte.
 */
function expectedRgb(s: PngSpec): number[] {
  const ch = CHANNELS[s.colorType];
  const out: number[] = [];
  const to8 = (v: number) => (s.depth === 16 ? v >> 8 : s.depth < 8 ? (v * 255) / (2 ** s.depth - 1) : v);
  for (let i = 0; i < s.width * s.height; i++) {
    const px = s.samples.slice(i * ch, (i + 1) * ch);
    if (s.colorType === 3) out.push(...s.palette![px[0]!]!);
    else if (s.colorType === 0 || s.colorType === 4) out.push(to8(px[0]!), to8(px[0]!), to8(px[0]!));
    else out.push(to8(px[0]!), to8(px[1]!), to8(px[2]!));
  }
  return out;
}

/** Deterministic pseudo-random integers in [0, n). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const pngSpecArb: fc.Arbitrary<PngSpec> = fc
  .record({
    combo: fc.constantFrom(...LEGAL),
    width: fc.integer({ min: 1, max: 19 }),
    height: fc.integer({ min: 1, max: 11 }),
    interlace: fc.boolean(),
    trns: fc.boolean(),
    seed: fc.nat(),
  })
  .map(({ combo: [colorType, depth], width, height, interlace, trns, seed }) => {
    const r = rng(seed);
    const ch = CHANNELS[colorType];
    const paletteSize = colorType === 3 ? 1 + r(2 ** depth) : 0;
    const palette = colorType === 3 ? Array.from({ length: paletteSize }, () => [r(256), r(256), r(256)] as [number, number, number]) : undefined;
    const max = colorType === 3 ? paletteSize : 2 ** depth;
    const samples = Array.from({ length: width * height * ch }, () => r(max));
    let trnsBytes: number[] | undefined;
    if (trns && colorType === 3) trnsBytes = Array.from({ length: r(paletteSize + 1) }, () => r(256));
    else if (trns && (colorType === 0 || colorType === 2)) {
      // A colour key equal to the first pixel's colour, so that some pixels match it.
      trnsBytes = samples.slice(0, colorType === 0 ? 1 : 3).flatMap((v) => [v >> 8, v & 0xff]);
    }
    return { width, height, colorType, depth, samples, palette, trns: trnsBytes, interlace };
  });

/** PIL's CMYK -> RGB (and jpeg-js's): each of R, G, B is (255 - ink) x (255 - K) / 255. */
const cmykToRgb = (c: number, m: number, y: number, k: number) => [c, m, y].map((v) => Math.round(((255 - v) * (255 - k)) / 255));

function maxDiff(got: Uint8Array, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  return d;
}

/** The expected RGB of a JPEG whose block (bx, by) has colour rgb(bx, by). */
function blockwise(width: number, height: number, rgb: (bx: number, by: number) => number[]): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(...rgb(x >> 3, y >> 3));
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe('unusual formats are converted, not rejected', () => {
  test('every PNG colour type x bit depth, interlaced or not, with and without tRNS (300 random images)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(pngSpecArb, (spec) => {
        const png = makePng(spec);
        const image = decodeImageBytes(png, `ct${spec.colorType}-${spec.depth}`);
        expect([image.width, image.height]).toEqual([spec.width, spec.height]);
        expect([...image.data]).toEqual(expectedRgb(spec));
        seen.add(`${spec.colorType}/${spec.depth}/${spec.interlace ? 'i' : 'p'}`);
      }),
      params(300),
    );
    expect(seen.size, [...seen].sort().join(' ')).toBeGreaterThanOrEqual(LEGAL.length * 2 - 2);
  });

  test('grayscale, RGBA, 16-bit and palette PNGs: named examples', () => {
    const gray = makePng({ width: 3, height: 1, colorType: 0, depth: 8, samples: [0, 128, 255] });
    expect([...decodeImageBytes(gray, 'gray').data]).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
    const rgba = makePng({ width: 2, height: 1, colorType: 6, depth: 8, samples: [10, 20, 30, 0, 40, 50, 60, 255] });
    expect([...decodeImageBytes(rgba, 'rgba').data]).toEqual([10, 20, 30, 40, 50, 60]);
    const rgb16 = makePng({ width: 1, height: 1, colorType: 2, depth: 16, samples: [0xffff, 0x8000, 0x00ff] });
    expect([...decodeImageBytes(rgb16, 'rgb16').data]).toEqual([0xff, 0x80, 0x00]);
    const pal = makePng({ width: 4, height: 1, colorType: 3, depth: 1, samples: [0, 1, 1, 0], palette: [[200, 10, 10], [5, 6, 7]] });
    expect([...decodeImageBytes(pal, 'pal1').data]).toEqual([200, 10, 10, 5, 6, 7, 5, 6, 7, 200, 10, 10]);
  });

  test('JPEG: grayscale, YCbCr, Adobe CMYK and Adobe YCCK become RGB', () => {
    const w = 24;
    const h = 16;
    // Grayscale: the value itself.
    const gray = decodeImageBytes(makeJpeg({ width: w, height: h, components: 1, block: (bx, by) => [30 + 70 * bx + 20 * by] }), 'gray.jpg');
    expect(maxDiff(gray.data, blockwise(w, h, (bx, by) => new Array(3).fill(30 + 70 * bx + 20 * by)))).toBeLessThanOrEqual(1);
    // YCbCr (JFIF default): neutral chroma gives gray; Cr up gives red.
    const ycc = decodeImageBytes(makeJpeg({ width: w, height: h, components: 3, block: (bx) => (bx === 0 ? [100, 128, 128] : [100, 128, 200]) }), 'ycc.jpg');
    expect(maxDiff(ycc.data, blockwise(w, h, (bx) => (bx === 0 ? [100, 100, 100] : [201, 49, 100])))).toBeLessThanOrEqual(2);
    // Adobe CMYK, stored inverted (Photoshop's convention): cyan, magenta, yellow, black and a 50% gray ink.
    const inks = [
      [255, 0, 0, 0],
      [0, 255, 0, 0],
      [0, 0, 255, 0],
      [0, 0, 0, 255],
      [0, 0, 0, 128],
      [40, 90, 160, 30],
    ];
    const cmyk = decodeImageBytes(makeJpeg({ width: 8 * inks.length, height: 8, components: 4, adobe: 0, block: (bx) => inks[bx]!.map((v) => 255 - v) }), 'cmyk.jpg');
    expect([cmyk.width, cmyk.height]).toEqual([8 * inks.length, 8]);
    const want = blockwise(8 * inks.length, 8, (bx) => cmykToRgb(...(inks[bx] as [number, number, number, number])));
    expect(maxDiff(cmyk.data, want)).toBeLessThanOrEqual(2);
    expect([...cmyk.data.subarray(0, 3)]).toEqual([0, 255, 255]); // cyan
    // Adobe YCCK: Y, Cb, Cr make the (inverted) CMY, K is stored as is. Neutral chroma: R = G = B = (255 - Y) * K / 255.
    const ycck = decodeImageBytes(makeJpeg({ width: 16, height: 8, components: 4, adobe: 2, block: (bx) => (bx === 0 ? [55, 128, 128, 255] : [0, 128, 128, 128]) }), 'ycck.jpg');
    expect(maxDiff(ycck.data, blockwise(16, 8, (bx) => new Array(3).fill(bx === 0 ? 200 : 128)))).toBeLessThanOrEqual(2);
  });

  // PIL (libjpeg) reads a 3-component JPEG with an Adobe marker whose transform is 0 as RGB, unconverted;
  // jpeg-js applies the YCbCr transform unless told `colorTransform: false`, which decode_node.ts passes then.
  test('an Adobe RGB JPEG (transform 0) keeps its colours', () => {
    const rgb = decodeImageBytes(makeJpeg({ width: 8, height: 8, components: 3, adobe: 0, block: () => [255, 0, 0] }), 'adobe-rgb.jpg');
    expect(maxDiff(rgb.data, blockwise(8, 8, () => [255, 0, 0]))).toBeLessThanOrEqual(2);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('bad files give the right codes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wgcam-robust-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const png = makePng({ width: 9, height: 7, colorType: 2, depth: 8, samples: Array.from({ length: 9 * 7 * 3 }, (_, i) => (i * 41) % 256) });
  const jpg = makeJpeg({ width: 24, height: 16, components: 3, block: (bx, by) => [60 * bx + 30, 128 + 10 * by, 128 - 20 * bx] });

  test('empty: IMAGE_EMPTY, from bytes and from a file', async () => {
    expect(outcome(() => decodeImageBytes(new Uint8Array(0), 'empty'))).toBe('IMAGE_EMPTY');
    writeFileSync(join(dir, 'empty.jpg'), new Uint8Array(0));
    await expect(decodeImageFile(join(dir, 'empty.jpg'))).rejects.toMatchObject({ code: 'IMAGE_EMPTY' });
  });

  test('not an image: IMAGE_NOT_AN_IMAGE, whatever the name says', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const others: Array<[string, Uint8Array]> = [
      ['text.png', enc('hello, I am text\n')],
      ['page.jpg', enc('<!DOCTYPE html><html><body>404 Not Found</body></html>')],
      ['weights.png', writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }])],
      ['anim.gif', enc('GIF89a\x01\x00\x01\x00\x00\x00\x00;')],
      ['photo.webp', enc('RIFF\x24\x00\x00\x00WEBPVP8 ')],
      ['scan.tif', Uint8Array.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])],
      ['icon.bmp', enc('BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00')],
      ['doc.pdf', enc('%PDF-1.7\n')],
      ['two-bytes.jpg', Uint8Array.from([0xff, 0xd8])],
      ['bad-signature.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00, ...png.subarray(8)])],
      ['zeros.png', new Uint8Array(4096)],
    ];
    for (const [name, bytes] of others) {
      expect(outcome(() => decodeImageBytes(bytes, name)), name).toBe('IMAGE_NOT_AN_IMAGE');
      writeFileSync(join(dir, name), bytes);
      await expect(decodeImageFile(join(dir, name)), name).rejects.toMatchObject({ code: 'IMAGE_NOT_AN_IMAGE' });
    }
  });

  test('zero size: IMAGE_ZERO_SIZE, when decoding and when preprocessing', async () => {
    for (const [w, h] of [[0, 5], [5, 0], [0, 0]]) {
      const bytes = makePng({ width: w!, height: h!, colorType: 0, depth: 8, samples: [] });
      expect(outcome(() => decodeImageBytes(bytes, `${w}x${h}`)), `${w}x${h}`).toBe('IMAGE_ZERO_SIZE');
    }
    const ctx = await createNodeGpuContext();
    try {
      const live = ctx.pool.liveBytes;
      const ok = { width: 2, height: 2, data: new Uint8Array(12) };
      for (const bad of [{ width: 0, height: 3, data: new Uint8Array(0) }, { width: 3, height: 0, data: new Uint8Array(0) }]) {
        await expect(preprocessImages(ctx, [ok, bad])).rejects.toMatchObject({ code: 'IMAGE_ZERO_SIZE' });
      }
      expect(ctx.pool.liveBytes).toBe(live);
    } finally {
      ctx.destroy();
    }
  });

  test('truncated anywhere: IMAGE_TRUNCATED (or too short to be recognised)', () => {
    for (let cut = 1; cut < png.length; cut++) {
      expect(outcome(() => decodeImageBytes(png.subarray(0, cut), 'cut.png')), `png cut at ${cut}`).toBe(cut < 8 ? 'IMAGE_NOT_AN_IMAGE' : 'IMAGE_TRUNCATED');
    }
    for (let cut = 1; cut < jpg.length; cut++) {
      const got = outcome(() => decodeImageBytes(jpg.subarray(0, cut), 'cut.jpg'));
      // jpeg-js decodes a file that lacks only its end-of-image marker, as libjpeg does (with a warning).
      const want = cut < 3 ? ['IMAGE_NOT_AN_IMAGE'] : cut >= jpg.length - 2 ? ['IMAGE_TRUNCATED', 'ok'] : ['IMAGE_TRUNCATED'];
      expect(want, `jpeg cut at ${cut} of ${jpg.length}: ${got}`).toContain(got);
    }
  });

  test('corrupted bytes (2,000 mutated PNGs and JPEGs): a picture or an IMAGE_* error, never a crash', () => {
    const codes = new Map<string, number>();
    const specs = fc.oneof(
      pngSpecArb.map((s) => ({ kind: 'png' as const, bytes: makePng(s) })),
      fc
        .record({ components: fc.constantFrom(1 as const, 3 as const, 4 as const), w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 24 }), seed: fc.nat() })
        .map(({ components, w, h, seed }) => {
          const r = rng(seed);
          return { kind: 'jpeg' as const, bytes: makeJpeg({ width: w, height: h, components, adobe: components === 4 ? 0 : undefined, block: () => Array.from({ length: components }, () => r(256)) }) };
        }),
    );
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0xff, 0xd9, 0xda, 0xc0, 0x7f, 0x80) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(specs, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), ({ kind, bytes: original }, mutations, headerOnly) => {
        let bytes: Uint8Array = original.slice();
        for (const m of mutations) {
          // Aim half of the mutations at the first 64 bytes: signature, IHDR / SOF, tables.
          const span = headerOnly ? Math.min(64, bytes.length) : bytes.length;
          if (span === 0) break;
          const at = m.at % span;
          if (m.kind === 'flip') bytes[at]! ^= m.xor;
          else if (m.kind === 'set') bytes[at] = m.value;
          else if (m.kind === 'cut') bytes = bytes.slice(0, at);
          else bytes = concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        }
        // Keep the run's memory small: a corrupted size field may claim up to the decoder's 200 MP cap.
        fc.pre(claimedPixels(kind, bytes) <= 4e6);
        const t0 = performance.now();
        const got = outcome(() => decodeImageBytes(bytes, `fuzz.${kind}`));
        expect(performance.now() - t0, 'decoding a tiny file took too long').toBeLessThan(5000);
        codes.set(got, (codes.get(got) ?? 0) + 1);
      }),
      { ...params(2000), maxSkipsPerRun: 1000 },
    );
    console.log(`images_robust (seed ${SEED}): mutated files -> ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    expect(codes.get('IMAGE_TRUNCATED') ?? 0).toBeGreaterThan(0);
  });
});

/** The largest width x height any IHDR or SOF marker in `bytes` claims (a cheap scan, for fc.pre). */
function claimedPixels(kind: 'png' | 'jpeg', bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let most = 0;
  if (kind === 'png') {
    if (bytes.length >= 24) most = view.getUint32(16) * view.getUint32(20);
    return most;
  }
  for (let i = 0; i + 9 <= bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1]! >= 0xc0 && bytes[i + 1]! <= 0xcf && bytes[i + 1] !== 0xc4 && bytes[i + 1] !== 0xc8 && bytes[i + 1] !== 0xcc) {
      most = Math.max(most, view.getUint16(i + 5) * view.getUint16(i + 7));
    }
  }
  return most;
}

// ---------------------------------------------------------------------------------------------------------

describe('a 12000 x 9000 picture', () => {
  const W = 12000;
  const H = 9000;
  /** R rises left to right, G top to bottom, B is constant: any misplaced strip of rows shows in G. */
  let huge: RgbImage;
  let ctx: GpuContext;
  let dir: string;
  beforeAll(async () => {
    ctx = await createNodeGpuContext();
    dir = mkdtempSync(join(tmpdir(), 'wgcam-huge-'));
    const data = new Uint8Array(W * H * 3); // 324 MB
    const red = Uint8Array.from({ length: W }, (_, x) => Math.floor((x * 256) / W));
    for (let y = 0, o = 0; y < H; y++) {
      const g = Math.floor((y * 256) / H);
      for (let x = 0; x < W; x++, o += 3) {
        data[o] = red[x]!;
        data[o + 1] = g;
        data[o + 2] = 77;
      }
    }
    huge = { width: W, height: H, data };
  }, 120_000);
  afterAll(() => {
    ctx?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Check a [1,3,224,224] input and its crop against the gradient picture. */
  async function checkGradient(input: Awaited<ReturnType<typeof preprocessImages>>['input'], crop: RgbImage): Promise<void> {
    expect(input.shape).toEqual([1, 3, 224, 224]);
    const values = await input.read();
    expect(values.length).toBe(3 * 224 * 224);
    expect(values.every(Number.isFinite)).toBe(true);
    // Resized to 341 x 256 (torchvision: the shorter side 256), then the centre 224 x 224.
    const out = resizedSize(W, H, 256);
    expect(out).toEqual({ width: 341, height: 256 });
    const left = cropOffset(out.width, 224);
    const top = cropOffset(out.height, 224);
    let worst = 0;
    for (let i = 0; i < 224; i += 7) {
      for (let j = 0; j < 224; j += 7) {
        // The antialiased filter averages a gradient to its value at the output pixel's centre (within 1 level).
        const sx = ((left + j + 0.5) * W) / out.width;
        const sy = ((top + i + 0.5) * H) / out.height;
        const px = crop.data.subarray((i * 224 + j) * 3, (i * 224 + j) * 3 + 3);
        worst = Math.max(worst, Math.abs(px[0]! - ((sx * 256) / W - 0.5)), Math.abs(px[1]! - ((sy * 256) / H - 0.5)));
        expect(px[2]).toBe(77);
        // The input is the crop normalised: channel 2 is (77 / 255 - 0.406) / 0.225 everywhere.
        expect(values[2 * 224 * 224 + i * 224 + j]).toBeCloseTo((77 / 255 - 0.406) / 0.225, 5);
      }
    }
    expect(worst).toBeLessThanOrEqual(1.5);
  }

  test('preprocessImages on the GPU: [1,3,224,224], finite, the right picture, no GPU buffer left', async () => {
    const live = ctx.pool.liveBytes;
    const { input, crops } = await preprocessImages(ctx, [huge]);
    try {
      await checkGradient(input, crops[0]!);
    } finally {
      input.release();
    }
    expect(ctx.pool.liveBytes).toBe(live);
  }, 300_000);

  test('an absurd aspect ratio is refused clearly (TENSOR_TOO_LARGE), leaving no GPU buffer', async () => {
    // 1 x 3000: the shorter side becomes 256, the longer 768,000 rows: a 786 MB resized picture.
    const live = ctx.pool.liveBytes;
    const thin = { width: 1, height: 3000, data: new Uint8Array(3000 * 3).fill(9) };
    await expect(preprocessImages(ctx, [thin])).rejects.toMatchObject({ code: 'TENSOR_TOO_LARGE' });
    expect(ctx.pool.liveBytes).toBe(live);
    // The device still works afterwards.
    const { input } = await preprocessImages(ctx, [{ width: 300, height: 300, data: new Uint8Array(300 * 300 * 3).fill(200) }]);
    expect((await input.read()).every(Number.isFinite)).toBe(true);
    input.release();
    expect(ctx.pool.liveBytes).toBe(live);
  }, 120_000);

  test('as a real PNG file: written, decoded from disk to the same pixels, preprocessed', async () => {
    const t0 = performance.now();
    const bytes = encodePng(huge); // pngjs, deflate; a gradient compresses well
    const path = join(dir, 'huge.png');
    writeFileSync(path, bytes);
    const encodeMs = performance.now() - t0;
    const decoded = await decodeImageFile(path);
    const decodeMs = performance.now() - t0 - encodeMs;
    console.log(`images_robust: 12000x9000 PNG of ${(bytes.length / 2 ** 20).toFixed(1)} MiB, encoded in ${(encodeMs / 1000).toFixed(1)} s, decoded in ${(decodeMs / 1000).toFixed(1)} s`);
    expect([decoded.width, decoded.height]).toEqual([W, H]);
    expect(Buffer.compare(Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), Buffer.from(huge.data.buffer))).toBe(0);
    const live = ctx.pool.liveBytes;
    const { input, crops } = await preprocessImages(ctx, [decoded]);
    try {
      await checkGradient(input, crops[0]!);
    } finally {
      input.release();
    }
    expect(ctx.pool.liveBytes).toBe(live);
  }, 300_000);
});
