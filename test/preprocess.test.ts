// Image decoding and GPU preprocessing. chelsea.png must become the fixture's `image` bytes exactly (PIL's
// antialiased resize, centre crop; made by torchvision from the same file) and its `input` tensor (ToTensor +
// Normalize). The GPU resize is also checked against an independent float64 reference of PIL's algorithm, and
// the decoders against hand-built PNGs and JPEGs of every colour type.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { decodeImageBytes, decodeImageFile, encodePng } from '../src/image/decode_node.ts';
import { cropOffset, preprocessImages, resizeImage, resizedSize, unpackRgb } from '../src/image/preprocess.ts';
import type { RgbImage } from '../src/image/types.ts';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/kernels/image/center_crop_normalize.ts';
import { pilBilinearCoefficients } from '../src/kernels/image/resize_antialias.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { crc32, makeJpeg, makePng } from './helpers/image_files.ts';
import { relL2 } from './helpers/fixtures.ts';
import { mulberry32 } from './reference/ops.ts';
import { pilResizeReference } from './reference/pil_resize.ts';

const SAMPLES = new URL('../src/app/samples/', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

// ---- a self-contained safetensors reader (U8 and F32 only) ---------------------------------------------------

function readFixture(name: string): Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> {
  const file = new Uint8Array(readFileSync(`${FIXTURES}${name}.safetensors`));
  const headerLength = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const [key, t] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const [begin, end] = t.data_offsets;
    tensors.set(key, { dtype: t.dtype, shape: t.shape, bytes: file.slice(8 + headerLength + begin, 8 + headerLength + end) });
  }
  return tensors;
}

function maxByteDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randomImage(width: number, height: number, seed: number): RgbImage {
  const rng = mulberry32(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng() * 256)) };
}

/** The CPU pipeline: reference resize, crop, and ToTensor + Normalize in float32 (Math.fround at each step). */
function cpuPreprocess(image: RgbImage, resize: number, crop: number): { crop: Uint8Array; input: Float32Array } {
  const size = resizedSize(image.width, image.height, resize);
  const resized = pilResizeReference(image, size.width, size.height);
  const top = cropOffset(size.height, crop);
  const left = cropOffset(size.width, crop);
  const out = new Uint8Array(crop * crop * 3);
  const input = new Float32Array(3 * crop * crop);
  for (let y = 0; y < crop; y++) {
    for (let x = 0; x < crop; x++) {
      for (let c = 0; c < 3; c++) {
        const v = resized[((y + top) * size.width + x + left) * 3 + c]!;
        out[(y * crop + x) * 3 + c] = v;
        const f = Math.fround(v / 255);
        input[(c * crop + y) * crop + x] = Math.fround(Math.fround(f - Math.fround(IMAGENET_MEAN[c]!)) / Math.fround(IMAGENET_STD[c]!));
      }
    }
  }
  return { crop: out, input };
}

function transpose(image: RgbImage): RgbImage {
  const { width, height } = image;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(x * height + y) * 3 + c] = image.data[(y * width + x) * 3 + c]!;
  return { width: height, height: width, data };
}

// ---- GPU preprocessing ---------------------------------------------------------------------------------------

describe('GPU preprocessing', () => {
  let ctx: GpuContext;
  beforeAll(async () => {
    ctx = await createNodeGpuContext();
  });
  afterAll(() => ctx?.destroy());

  test('chelsea.png becomes the fixture image and input exactly', async () => {
    const fx = readFixture('eval-chelsea');
    const wantImage = fx.get('image')!;
    const wantInput = fx.get('input')!;
    expect([wantImage.dtype, wantImage.shape]).toEqual(['U8', [224, 224, 3]]);
    expect([wantInput.dtype, wantInput.shape]).toEqual(['F32', [1, 3, 224, 224]]);
    const image = await decodeImageFile(`${SAMPLES}chelsea.png`);
    expect([image.width, image.height]).toEqual([451, 300]);
    const live = ctx.pool.liveBytes;
    const { input, crops } = await preprocessImages(ctx, [image]);
    expect(input.shape).toEqual([1, 3, 224, 224]);
    expect([crops.length, crops[0]!.width, crops[0]!.height]).toEqual([1, 224, 224]);
    let differing = 0;
    for (let i = 0; i < wantImage.bytes.length; i++) if (crops[0]!.data[i] !== wantImage.bytes[i]) differing++;
    expect(differing).toBe(0);
    expect(maxByteDiff(crops[0]!.data, wantImage.bytes)).toBeLessThanOrEqual(1);
    const got = await input.read();
    const want = new Float32Array(wantInput.bytes.buffer, wantInput.bytes.byteOffset, wantInput.bytes.byteLength / 4);
    expect(relL2(got, want)).toBeLessThan(1e-6);
    input.release();
    expect(ctx.pool.liveBytes).toBe(live);
  });

  test('a batch: each image is preprocessed on its own (landscape and portrait, odd sizes)', async () => {
    const chelsea = await decodeImageFile(`${SAMPLES}chelsea.png`);
    const portrait = transpose(chelsea); // 300 x 451: the crop's left offset is now 16, its top 80
    const odd = randomImage(97, 61, 7); // 97x61 -> 407x256 (an upscale), crop offsets 91.5 -> 92, 16
    const fx = readFixture('eval-chelsea');
    const { input, crops } = await preprocessImages(ctx, [chelsea, portrait, odd]);
    expect(input.shape).toEqual([3, 3, 224, 224]);
    const got = await input.read();
    input.release();
    expect(maxByteDiff(crops[0]!.data, fx.get('image')!.bytes)).toBe(0);
    const area = 3 * 224 * 224;
    for (const [n, image] of [[1, portrait], [2, odd]] as const) {
      const want = cpuPreprocess(image, 256, 224);
      expect(maxByteDiff(crops[n]!.data, want.crop)).toBeLessThanOrEqual(1);
      expect(relL2(got.subarray(n * area, (n + 1) * area), want.input)).toBeLessThan(1e-6);
    }
  });

  test('other resize and crop sizes; crop larger than resize is refused', async () => {
    const image = randomImage(45, 80, 3);
    const { input, crops } = await preprocessImages(ctx, [image], { resize: 40, crop: 33 });
    expect(input.shape).toEqual([1, 3, 33, 33]);
    const want = cpuPreprocess(image, 40, 33);
    expect(maxByteDiff(crops[0]!.data, want.crop)).toBeLessThanOrEqual(1);
    expect(relL2(await input.read(), want.input)).toBeLessThan(1e-6);
    input.release();
    await expect(preprocessImages(ctx, [image], { resize: 32, crop: 33 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(preprocessImages(ctx, [])).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(preprocessImages(ctx, [{ width: 0, height: 5, data: new Uint8Array(0) }])).rejects.toMatchObject({ code: 'IMAGE_ZERO_SIZE' });
  });

  test.each([
    [37, 23, 11, 17], // downscale both ways, odd
    [5, 7, 13, 9], // upscale both ways
    [64, 3, 20, 3], // horizontal only
    [3, 64, 3, 20], // vertical only
    [1000, 3, 7, 5], // a wide kernel (143 taps)
    [1, 1, 4, 3], // one pixel
    [300, 451, 256, 384], // chelsea's transposed size
  ])('resize %ix%i -> %ix%i matches the float64 PIL reference', async (inW, inH, outW, outH) => {
    const image = randomImage(inW, inH, inW * 1000 + inH);
    const out = resizeImage(ctx, image, outW, outH);
    expect(out.shape).toEqual([outH, outW]);
    const got = unpackRgb(await ctx.readU32(out));
    out.release();
    expect(maxByteDiff(got, pilResizeReference(image, outW, outH))).toBeLessThanOrEqual(1);
  });

  test('strips of rows give the same result as one upload', async () => {
    const image = randomImage(37, 23, 11);
    for (const [outW, outH] of [[11, 17], [37, 9], [50, 23]] as const) {
      const whole = resizeImage(ctx, image, outW, outH);
      const strips = resizeImage(ctx, image, outW, outH, { stripBytes: 37 * 4 * 5 }); // 5 rows a strip
      const a = await ctx.readU32(whole);
      const b = await ctx.readU32(strips);
      whole.release();
      strips.release();
      expect(b).toEqual(a);
      expect(maxByteDiff(unpackRgb(b), pilResizeReference(image, outW, outH))).toBeLessThanOrEqual(1);
    }
  });
});

// ---- sizes and coefficients (CPU) ----------------------------------------------------------------------------

test('torchvision sizes: shorter side 256 (truncated), crop offsets with round-half-even', () => {
  expect(resizedSize(451, 300, 256)).toEqual({ width: 384, height: 256 });
  expect(resizedSize(300, 451, 256)).toEqual({ width: 256, height: 384 });
  expect(resizedSize(97, 61, 256)).toEqual({ width: 407, height: 256 }); // 407.08
  expect(resizedSize(500, 500, 256)).toEqual({ width: 256, height: 256 });
  expect(cropOffset(384, 224)).toBe(80);
  expect(cropOffset(385, 224)).toBe(80); // 80.5 rounds to even
  expect(cropOffset(387, 224)).toBe(82); // 81.5 rounds to even
  expect(cropOffset(224, 224)).toBe(0);
});

test('fixed-point coefficients: 22 bits, each row sums to about 2^22, windows inside the input', () => {
  for (const [inSize, outSize] of [[451, 384], [300, 256], [5, 13], [1000, 7], [12000, 341]] as const) {
    const c = pilBilinearCoefficients(inSize, outSize);
    for (let o = 0; o < outSize; o++) {
      let sum = 0;
      for (let k = 0; k < c.kernelSize; k++) sum += c.coeffs[o * c.kernelSize + k]!;
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(c.kernelSize);
      expect(c.first[o]! + c.taps[o]!).toBeLessThanOrEqual(inSize);
      expect(c.taps[o]!).toBeLessThanOrEqual(c.kernelSize);
    }
  }
});

// ---- decoding --------------------------------------------------------------------------------------------------

/** A JPEG of one flat colour: `values` holds the stored samples, one per component; `adobe` adds an Adobe APP14
 * marker with transform 0 (CMYK stored inverted, as Photoshop writes it). */
function makeFlatJpeg(width: number, height: number, values: number[], adobe: boolean): Uint8Array {
  return makeJpeg({ width, height, components: values.length as 1 | 3 | 4, block: () => values, ...(adobe ? { adobe: 0 as const } : {}) });
}

/** RGB bytes of an image whose pixels are all `rgb`. */
const flat = (n: number, rgb: number[]) => Array.from({ length: n }, () => rgb).flat();

describe('decoding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wgcam-decode-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the sample JPEG and PNGs decode to RGB', async () => {
    const rocket = await decodeImageFile(`${SAMPLES}rocket.jpg`);
    expect([rocket.width, rocket.height, rocket.data.length]).toEqual([640, 427, 640 * 427 * 3]);
    for (const name of ['chelsea.png', 'coffee.png', 'astronaut.png']) {
      const img = await decodeImageFile(`${SAMPLES}${name}`);
      expect(img.data.length).toBe(img.width * img.height * 3);
    }
  });

  const pngCases: Array<[string, Parameters<typeof makePng>[0], number[]]> = [
    ['gray 8-bit', { width: 2, height: 2, colorType: 0, depth: 8, samples: [0, 77, 200, 255] }, [0, 0, 0, 77, 77, 77, 200, 200, 200, 255, 255, 255]],
    ['gray 4-bit (x17)', { width: 3, height: 1, colorType: 0, depth: 4, samples: [0, 7, 15] }, [0, 0, 0, 119, 119, 119, 255, 255, 255]],
    ['gray 1-bit', { width: 9, height: 1, colorType: 0, depth: 1, samples: [1, 0, 1, 1, 0, 0, 0, 0, 1] }, [1, 0, 1, 1, 0, 0, 0, 0, 1].flatMap((b) => [b * 255, b * 255, b * 255])],
    ['gray 16-bit (high byte)', { width: 2, height: 2, colorType: 0, depth: 16, samples: [0x0000, 0x80ff, 0xff00, 0xffff] }, [0, 0, 0, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['gray + alpha 8-bit (alpha dropped)', { width: 2, height: 1, colorType: 4, depth: 8, samples: [10, 0, 200, 128] }, [10, 10, 10, 200, 200, 200]],
    ['gray + alpha 16-bit', { width: 1, height: 1, colorType: 4, depth: 16, samples: [0x1234, 0] }, [0x12, 0x12, 0x12]],
    ['gray with a tRNS key (colour kept)', { width: 2, height: 1, colorType: 0, depth: 8, samples: [50, 60], trns: [0, 50] }, [50, 50, 50, 60, 60, 60]],
    ['RGB 8-bit', { width: 2, height: 1, colorType: 2, depth: 8, samples: [1, 2, 3, 250, 251, 252] }, [1, 2, 3, 250, 251, 252]],
    ['RGB 16-bit (high byte, not rounded)', { width: 2, height: 1, colorType: 2, depth: 16, samples: [0xff00, 0x80ff, 0x0180, 0, 0xffff, 0x7f80] }, [0xff, 0x80, 0x01, 0, 0xff, 0x7f]],
    ['RGB with a tRNS key (colour kept)', { width: 2, height: 1, colorType: 2, depth: 8, samples: [9, 8, 7, 6, 5, 4], trns: [0, 9, 0, 8, 0, 7] }, [9, 8, 7, 6, 5, 4]],
    ['RGBA 8-bit (alpha dropped, not composited)', { width: 3, height: 1, colorType: 6, depth: 8, samples: [200, 100, 50, 0, 200, 100, 50, 128, 200, 100, 50, 255] }, flat(3, [200, 100, 50])],
    ['RGBA 16-bit', { width: 1, height: 1, colorType: 6, depth: 16, samples: [0xabcd, 0x1200, 0x00ff, 0x8000] }, [0xab, 0x12, 0x00]],
    ['palette 8-bit with tRNS', { width: 3, height: 1, colorType: 3, depth: 8, samples: [2, 0, 1], palette: [[255, 0, 0], [0, 255, 0], [10, 20, 30]], trns: [0, 128] }, [10, 20, 30, 255, 0, 0, 0, 255, 0]],
    ['palette 2-bit', { width: 5, height: 1, colorType: 3, depth: 2, samples: [3, 2, 1, 0, 3], palette: [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 5, 6]] }, [4, 5, 6, 3, 3, 3, 2, 2, 2, 1, 1, 1, 4, 5, 6]],
  ];
  test.each(pngCases)('PNG %s becomes 8-bit RGB as PIL convert("RGB")', (name, spec, want) => {
    const img = decodeImageBytes(makePng(spec), name);
    expect([img.width, img.height]).toEqual([spec.width, spec.height]);
    expect([...img.data]).toEqual(want);
  });

  test('pngjs round trip through encodePng, and a pngjs-written RGBA file', async () => {
    const data = randomImage(7, 3, 5).data;
    expect(decodeImageBytes(encodePng({ width: 7, height: 3, data }), 'x').data).toEqual(data);
    const { PNG } = await import('pngjs');
    const p = new PNG({ width: 2, height: 1 });
    p.data = Buffer.from([1, 2, 3, 0, 4, 5, 6, 77]);
    expect([...decodeImageBytes(new Uint8Array(PNG.sync.write(p)), 'rgba').data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('grayscale and Adobe CMYK JPEGs come out as RGB', () => {
    const gray = decodeImageBytes(makeFlatJpeg(16, 8, [77], false), 'gray.jpg');
    expect([gray.width, gray.height]).toEqual([16, 8]);
    for (let i = 0; i < gray.data.length; i += 3) {
      expect(Math.abs(gray.data[i]! - 77)).toBeLessThanOrEqual(1);
      expect([gray.data[i + 1], gray.data[i + 2]]).toEqual([gray.data[i], gray.data[i]]);
    }
    const ycc = decodeImageBytes(makeFlatJpeg(8, 8, [128, 128, 128], false), 'ycc.jpg');
    expect(maxByteDiff(ycc.data, Uint8Array.from(flat(64, [128, 128, 128])))).toBeLessThanOrEqual(1);
    // Stored inverted (Adobe): true C, M, Y, K = 0, 255, 255, 0 is red; K = 128 alone is a mid gray (127).
    const red = decodeImageBytes(makeFlatJpeg(8, 8, [255, 0, 0, 255], true), 'red.jpg');
    expect(maxByteDiff(red.data, Uint8Array.from(flat(64, [255, 0, 0])))).toBeLessThanOrEqual(1);
    const gray2 = decodeImageBytes(makeFlatJpeg(8, 8, [255, 255, 255, 127], true), 'k.jpg');
    expect(maxByteDiff(gray2.data, Uint8Array.from(flat(64, [127, 127, 127])))).toBeLessThanOrEqual(1);
  });

  const code = async (f: () => unknown) => {
    try {
      await f();
      return 'ok';
    } catch (e) {
      if (!(e instanceof WgcamError)) return String(e);
      expect(e.message).not.toContain('\n');
      return e.code;
    }
  };

  test('bad files give typed errors, told by content not name', async () => {
    const chelsea = new Uint8Array(readFileSync(`${SAMPLES}chelsea.png`));
    const rocket = new Uint8Array(readFileSync(`${SAMPLES}rocket.jpg`));
    const file = (name: string, bytes: Uint8Array | string) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    expect(await code(() => decodeImageFile(file('empty.png', new Uint8Array(0))))).toBe('IMAGE_EMPTY');
    expect(await code(() => decodeImageBytes(new Uint8Array(0), 'e'))).toBe('IMAGE_EMPTY');
    expect(await code(() => decodeImageFile(file('text.png', 'hello, I am not a picture\n')))).toBe('IMAGE_NOT_AN_IMAGE');
    expect(await code(() => decodeImageFile(file('gif.jpg', 'GIF89a\x01\x00\x01\x00')))).toBe('IMAGE_NOT_AN_IMAGE');
    expect(await code(() => decodeImageFile(file('half.png', chelsea.subarray(0, chelsea.length >> 1))))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageBytes(chelsea.subarray(0, 40), 'cut'))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageBytes(chelsea.subarray(0, 8), 'signature only'))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageBytes(chelsea.subarray(0, chelsea.length - 12), 'no IEND'))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageFile(file('half.jpg', rocket.subarray(0, rocket.length >> 1))))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageBytes(rocket.subarray(0, 300), 'cut.jpg'))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageBytes(makePng({ width: 0, height: 3, colorType: 2, depth: 8, samples: [] }), 'zero'))).toBe('IMAGE_ZERO_SIZE');
    expect(await code(() => decodeImageBytes(makeFlatJpeg(8, 8, [1, 2, 3, 4], false), 'cmyk without Adobe'))).toBe('IMAGE_NOT_AN_IMAGE');
    // A header that claims 20000 x 20000 is refused before any decoding.
    const huge = makePng({ width: 1, height: 1, colorType: 0, depth: 8, samples: [0] });
    new DataView(huge.buffer).setUint32(16, 20000);
    new DataView(huge.buffer).setUint32(20, 20000);
    new DataView(huge.buffer).setUint32(29, crc32(huge.subarray(12, 29)));
    expect(await code(() => decodeImageBytes(huge, 'huge'))).toBe('BAD_ARGUMENT');
    expect(await code(() => decodeImageFile(join(dir, 'missing.png')))).toBe('IMAGE_NOT_FOUND');
    expect(await code(() => decodeImageFile(dir))).toBe('IMAGE_NOT_FOUND');
    // A PNG named .jpg (and the reverse) is still decoded.
    expect((await decodeImageFile(file('really-a-png.jpg', chelsea))).width).toBe(451);
    expect((await decodeImageFile(file('really-a-jpeg.png', rocket))).width).toBe(640);
  });
});
