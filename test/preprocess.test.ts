// Image decoding and GPU preprocessing: chelsea.png must become exactly the fixture's `image` bytes (PIL's
// antialiased resize, centre crop) and its `input` tensor (ToTensor + Normalize).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PNG } from 'pngjs';
import { WgcamError } from '../src/errors.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { decodeImageBytes, decodeImageFile, encodePng } from '../src/image/decode_node.ts';
import { cropOffset, preprocessImages, resizeImage, resizedSize, unpackRgb } from '../src/image/preprocess.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Fixture, relL2 } from './helpers/fixtures.ts';
import { mulberry32 } from './reference/ops.ts';
import { pilResizeReference } from './reference/pil_resize.ts';

const SAMPLES = new URL('../src/app/samples/', import.meta.url).pathname;
let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

test('chelsea.png becomes the fixture image and input exactly', async () => {
  const fx = new Fixture('eval-chelsea');
  const image = await decodeImageFile(`${SAMPLES}chelsea.png`);
  const { input, crops } = await preprocessImages(ctx, [image]);
  const want = fx.u8('image');
  let differing = 0;
  for (let i = 0; i < want.length; i++) if (crops[0]!.data[i] !== want[i]) differing++;
  expect(differing).toBe(0);
  expect(relL2(await input.read(), fx.f32('input'))).toBeLessThan(1e-6);
  input.release();
});

test.each([
  [37, 23, 11, 17],
  [5, 7, 13, 9],
  [64, 3, 20, 3],
  [300, 451, 256, 384],
])('resize %ix%i -> %ix%i matches the float64 PIL reference', async (inW, inH, outW, outH) => {
  const rng = mulberry32(inW * 1000 + inH);
  const data = Uint8Array.from({ length: inW * inH * 3 }, () => Math.floor(rng() * 256));
  const out = resizeImage(ctx, { width: inW, height: inH, data }, outW, outH);
  const got = unpackRgb(await ctx.readU32(out));
  out.release();
  const want = pilResizeReference({ width: inW, height: inH, data }, outW, outH);
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
  expect(maxDiff).toBeLessThanOrEqual(1);
});

test('torchvision sizes: shorter side 256, crop offsets with round-half-even', () => {
  expect(resizedSize(451, 300, 256)).toEqual({ width: 384, height: 256 });
  expect(resizedSize(300, 451, 256)).toEqual({ width: 256, height: 384 });
  expect(cropOffset(384, 224)).toBe(80);
  expect(cropOffset(385, 224)).toBe(80); // 80.5 rounds to even
  expect(cropOffset(387, 224)).toBe(82); // 81.5 rounds to even
});

describe('decoding', () => {
  const rgb = (w: number, h: number) => Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
  function png(colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, w = 5, h = 4): Uint8Array {
    const p = new PNG({ width: w, height: h, colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
    p.data = Buffer.from(Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 128 : (i * 11) % 256)));
    return new Uint8Array(PNG.sync.write(p, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true }));
  }
  test('sample JPEG and PNGs decode to RGB', async () => {
    const rocket = await decodeImageFile(`${SAMPLES}rocket.jpg`);
    expect(rocket.data.length).toBe(rocket.width * rocket.height * 3);
    for (const [ct, depth] of [[0, 8], [4, 8], [2, 16], [6, 8], [6, 16]] as const) {
      const img = decodeImageBytes(png(ct, depth), `ct${ct}`);
      expect([img.width, img.height, img.data.length]).toEqual([5, 4, 60]);
      if (ct === 0 || ct === 4) expect(img.data[0]).toBe(img.data[1]); // gray replicated
    }
  });
  test('round trip through encodePng', () => {
    const data = rgb(7, 3);
    expect(decodeImageBytes(encodePng({ width: 7, height: 3, data }), 'x').data).toEqual(data);
  });
  const code = async (f: () => unknown) => {
    try {
      await f();
      return 'ok';
    } catch (e) {
      return e instanceof WgcamError ? e.code : String(e);
    }
  };
  test('bad files give typed errors', async () => {
    const good = encodePng({ width: 7, height: 3, data: rgb(7, 3) });
    expect(await code(() => decodeImageBytes(new Uint8Array(0), 'e'))).toBe('IMAGE_EMPTY');
    expect(await code(() => decodeImageBytes(new TextEncoder().encode('hello'), 't'))).toBe('IMAGE_NOT_AN_IMAGE');
    expect(await code(() => decodeImageBytes(good.subarray(0, 40), 'cut'))).toBe('IMAGE_TRUNCATED');
    expect(await code(() => decodeImageFile('/nonexistent/x.png'))).toBe('IMAGE_NOT_FOUND');
  });
});
