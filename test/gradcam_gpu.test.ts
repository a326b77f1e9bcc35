// Grad-CAM on the GPU (src/cam/gradcam.ts and the cam_* kernels) against the PyTorch / pytorch-grad-cam fixtures
// (tolerances from test/fixtures/README.md) and against the float64 reference of test/reference/ops.ts
// on random odd shapes, batch 2, up- and down-sizing; the multi-layer average against a float64
// aggregate_multi_layer written here; the colormap tables against the fixture bytes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COLORMAPS, colormapNames } from '../src/cam/colormaps.ts';
import { averageCamMaps, gradCamFromActivations, gradCamLayer, gradCamMultiLayer, renderOverlay } from '../src/cam/gradcam.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { camMinMaxNormalize } from '../src/kernels/cam/cam_minmax_normalize.ts';
import { camResizeBilinear } from '../src/kernels/cam/cam_resize_bilinear.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { withReductions } from './helpers/gpu_case.ts';
import {
  camMap,
  camRaw,
  camWeights,
  maxAbs,
  minMaxNormalize,
  mulberry32,
  overlay,
  randn,
  relL2,
  resizeBilinearOpenCV,
  type Shape4,
} from './reference/ops.ts';

// ---- a tiny safetensors reader (the project's own is tested elsewhere) ----------------------------------------

interface Entry {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

function readFixture(name: string): Map<string, Entry> {
  const file = readFileSync(new URL(`./fixtures/${name}.safetensors`, import.meta.url));
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, Entry>();
  for (const [key, v] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const [begin, end] = v.data_offsets;
    // Copy: the views below need their own aligned buffer.
    out.set(key, { dtype: v.dtype, shape: v.shape, bytes: new Uint8Array(file.subarray(8 + headerLength + begin, 8 + headerLength + end)) });
  }
  return out;
}

function get(f: Map<string, Entry>, key: string): Entry {
  const e = f.get(key);
  if (!e) throw new Error(`fixture has no ${key}`);
  return e;
}

function f32(f: Map<string, Entry>, key: string): Float32Array {
  const e = get(f, key);
  expect(e.dtype).toBe('F32');
  return new Float32Array(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength / 4);
}

function u8(f: Map<string, Entry>, key: string): Uint8Array {
  const e = get(f, key);
  expect(e.dtype).toBe('U8');
  return e.bytes;
}

/** Bytes that differ by more than one step (the README allows them where the map sits on a LUT boundary). */
function overlayDiff(got: Uint8Array, want: Uint8Array): { exact: number; over1: number; maxDiff: number } {
  expect(got.length).toBe(want.length);
  let exact = 0;
  let over1 = 0;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (d === 0) exact++;
    if (d > 1) over1++;
    maxDiff = Math.max(maxDiff, d);
  }
  return { exact: exact / want.length, over1: over1 / want.length, maxDiff };
}

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

// ---- colormaps -----------------------------------------------------------------------------------------------

test('colormap tables equal the fixture bytes', () => {
  const f = readFixture('colormaps');
  expect([...colormapNames].sort()).toEqual([...f.keys()].sort());
  for (const name of colormapNames) {
    const e = get(f, name);
    expect(e.shape).toEqual([256, 3]);
    expect(COLORMAPS[name].length).toBe(768);
    expect(Buffer.from(COLORMAPS[name]).equals(Buffer.from(e.bytes)), name).toBe(true);
  }
});

// ---- the PyTorch fixtures ------------------------------------------------------------------------------------

describe.each([
  { file: 'eval-chelsea', layer: 'layer4', overlay: true },
  { file: 'eval-chelsea', layer: 'layer4.2.conv3', overlay: true },
  { file: 'eval-odd-batch2', layer: 'layer4', overlay: false },
])('$file cam.$layer', ({ file, layer, overlay: hasOverlay }) => {
  test('weights, raw, map and overlay match pytorch-grad-cam', async () => {
    const f = readFixture(file);
    const key = (k: string) => `cam.${layer}.${k}`;
    const actShape = get(f, key('act')).shape;
    const mapShape = get(f, key('map')).shape as [number, number, number];
    const before = ctx.pool.liveBytes;
    const act = ctx.upload(f32(f, key('act')), actShape);
    const grad = ctx.upload(f32(f, key('grad')), actShape);
    const { weights, raw, map } = gradCamFromActivations(ctx, act, grad, [mapShape[1], mapShape[2]]);
    expect(weights.shape).toEqual(get(f, key('weights')).shape);
    expect(raw.shape).toEqual(get(f, key('raw')).shape);
    expect(map.shape).toEqual(mapShape);
    const eWeights = relL2(await weights.read(), f32(f, key('weights')));
    const eRaw = relL2(await raw.read(), f32(f, key('raw')));
    const gotMap = await map.read();
    const eMap = maxAbs(gotMap, f32(f, key('map')));
    console.log(`${file} ${layer}: weights relL2 ${eWeights.toExponential(2)}, raw relL2 ${eRaw.toExponential(2)}, map maxAbs ${eMap.toExponential(2)}`);
    expect(eWeights).toBeLessThan(1e-3);
    expect(eRaw).toBeLessThan(1e-3);
    expect(eMap).toBeLessThan(2e-3);

    if (hasOverlay) {
      const image = u8(f, 'image');
      const want = u8(f, key('overlay'));
      const got = await renderOverlay(ctx, map, image, COLORMAPS.jet, 0.5);
      const d = overlayDiff(got, want);
      // The same with the fixture's own map: isolates the overlay arithmetic from the map's float error.
      const fixtureMap = ctx.upload(f32(f, key('map')), mapShape);
      const dSame = overlayDiff(await renderOverlay(ctx, fixtureMap, image, COLORMAPS.jet), want);
      fixtureMap.release();
      console.log(
        `${file} ${layer} overlay: exact ${(100 * d.exact).toFixed(3)}%, >1 step ${(100 * d.over1).toFixed(3)}% (max ${d.maxDiff}); ` +
          `from the fixture map: exact ${(100 * dSame.exact).toFixed(3)}%, >1 step ${(100 * dSame.over1).toFixed(3)}% (max ${dSame.maxDiff})`,
      );
      expect(d.over1).toBeLessThan(0.005);
      expect(dSame.over1).toBeLessThan(0.005);
      // With serial reductions (kernels/config.ts: ReductionStyle) the overlay's maximum, and so every byte, is the same.
      const serial = await withReductions(ctx, 'serial', () => renderOverlay(ctx, map, image, COLORMAPS.jet, 0.5));
      expect(Buffer.from(serial).equals(Buffer.from(got))).toBe(true);
    }
    for (const t of [act, grad, weights, raw, map]) t.release();
    expect(ctx.pool.liveBytes).toBe(before);
  });
});

// ---- random shapes against the float64 reference ------------------------------------------------------------

function randomCam(rng: () => number, shape: Shape4): { act: Float32Array; grad: Float32Array } {
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  // Activations mostly positive (post-ReLU-like) so that raw has structure; gradients of either sign.
  const act = Float32Array.from(randn(n, rng), (v) => Math.max(0, v + 0.3));
  const grad = Float32Array.from(randn(n, rng));
  return { act, grad };
}

describe('random shapes vs the float64 reference', () => {
  const cases: Array<{ shape: Shape4; out: [number, number] }> = [
    { shape: [2, 37, 5, 4], out: [129, 97] }, // up, odd, batch 2
    { shape: [1, 64, 7, 7], out: [224, 224] },
    { shape: [2, 9, 31, 23], out: [11, 7] }, // down
    { shape: [2, 5, 13, 9], out: [13, 9] }, // same size
    { shape: [1, 300, 3, 1], out: [17, 5] }, // a one-column plane
    { shape: [2, 3, 6, 10], out: [4, 25] }, // down in y, up in x
  ];
  test.each(cases)('$shape -> $out', async ({ shape, out }) => {
    const rng = mulberry32(shape.reduce((a, b) => a * 31 + b, 7));
    const { act, grad } = randomCam(rng, shape);
    const [H, W] = out;
    const tAct = ctx.upload(act, shape);
    const tGrad = ctx.upload(grad, shape);
    const { weights, raw, map } = gradCamFromActivations(ctx, tAct, tGrad, out);
    const wantWeights = camWeights(grad, shape);
    const wantRaw = camRaw(act, shape, wantWeights);
    const wantMap = camMap(wantRaw, shape[2], shape[3], H, W);
    const gotMap = await map.read();
    const e = { weights: relL2(await weights.read(), wantWeights), raw: relL2(await raw.read(), wantRaw), map: maxAbs(gotMap, wantMap) };
    console.log(`[${shape.join(',')}] -> ${H}x${W}:`, e);
    expect(e.weights).toBeLessThan(1e-5);
    expect(e.raw).toBeLessThan(1e-5);
    expect(e.map).toBeLessThan(1e-4);

    // Overlay of a random image with another colormap and weight, area*3 not a multiple of 4 in some cases.
    const image = Uint8Array.from({ length: shape[0] * H * W * 3 }, () => Math.floor(rng() * 256));
    const lut = COLORMAPS.turbo;
    const got = await renderOverlay(ctx, map, image, lut, 0.3);
    const area = H * W;
    const want = new Uint8Array(image.length);
    for (let n = 0; n < shape[0]; n++) {
      want.set(overlay(gotMap.subarray(n * area, (n + 1) * area), image.subarray(n * area * 3, (n + 1) * area * 3), lut, 0.3), n * area * 3);
    }
    const d = overlayDiff(got, want);
    expect(d.over1).toBeLessThan(0.005);
    expect(d.exact).toBeGreaterThan(0.9);
    for (const t of [tAct, tGrad, weights, raw, map]) t.release();
  });

  test('min-max normalise of large planes (1000x800), with and without the clamp, tree and serial reductions', async () => {
    const rng = mulberry32(11);
    const [N, h, w] = [2, 1000, 800];
    const x = Float32Array.from(randn(N * h * w, rng), (v) => v * 3 - 0.5);
    const t = ctx.upload(x, [N, h, w]);
    for (const [clamp, style] of [[false, 'tree'], [true, 'tree'], [false, 'serial'], [true, 'serial']] as const) {
      const y = await withReductions(ctx, style, () => camMinMaxNormalize(ctx, t, clamp));
      const got = await y.read();
      for (let n = 0; n < N; n++) {
        const plane = x.subarray(n * h * w, (n + 1) * h * w);
        const want = minMaxNormalize(clamp ? plane.map((v) => Math.max(0, v)) : plane);
        expect(maxAbs(got.subarray(n * h * w, (n + 1) * h * w), want)).toBeLessThan(1e-6);
      }
      y.release();
    }
    t.release();
  });

  test('resize matches OpenCV INTER_LINEAR on a large upscale and a large downscale', async () => {
    const rng = mulberry32(5);
    for (const [h, w, H, W] of [
      [7, 7, 1000, 800],
      [301, 257, 19, 23],
    ] as const) {
      const x = Float32Array.from({ length: 2 * h * w }, () => rng());
      const t = ctx.upload(x, [2, h, w]);
      const y = camResizeBilinear(ctx, t, [H, W]);
      const got = await y.read();
      for (let n = 0; n < 2; n++) {
        const want = resizeBilinearOpenCV(x.subarray(n * h * w, (n + 1) * h * w), h, w, H, W);
        expect(maxAbs(got.subarray(n * H * W, (n + 1) * H * W), want)).toBeLessThan(1e-5);
      }
      t.release();
      y.release();
    }
  });
});

// ---- several target layers ----------------------------------------------------------------------------------

/** pytorch-grad-cam: per layer scale_cam_image(ReLU'd raw, size); aggregate_multi_layer: max(0), mean, scale again. */
function aggregateMultiLayer64(layers: Array<{ act: Float32Array; grad: Float32Array; shape: Shape4 }>, H: number, W: number): Float64Array {
  const N = layers[0]!.shape[0];
  const out = new Float64Array(N * H * W);
  for (let n = 0; n < N; n++) {
    const mean = new Float64Array(H * W);
    for (const { act, grad, shape } of layers) {
      const [, , h, w] = shape;
      const raw = camRaw(act, shape, camWeights(grad, shape)).subarray(n * h * w, (n + 1) * h * w);
      const scaled = resizeBilinearOpenCV(minMaxNormalize(raw), h, w, H, W);
      for (let i = 0; i < H * W; i++) mean[i] = mean[i]! + Math.max(0, scaled[i]!) / layers.length;
    }
    out.set(minMaxNormalize(mean), n * H * W);
  }
  return out;
}

test('multi-layer average vs aggregate_multi_layer in float64', async () => {
  const rng = mulberry32(2024);
  const [H, W] = [61, 47];
  const shapes: Shape4[] = [
    [2, 48, 4, 3],
    [2, 24, 8, 6],
    [2, 12, 15, 12],
  ];
  const layers = shapes.map((shape) => ({ shape, ...randomCam(rng, shape) }));
  const before = ctx.pool.liveBytes;
  const tensors = layers.map(({ act, grad, shape }) => ({ act: ctx.upload(act, shape), grad: ctx.upload(grad, shape) }));
  const map = gradCamMultiLayer(ctx, tensors, [H, W]);
  const want = aggregateMultiLayer64(layers, H, W);
  const e = maxAbs(await map.read(), want);
  console.log(`multi-layer (3 layers) map maxAbs ${e.toExponential(2)}`);
  expect(e).toBeLessThan(1e-4);

  // One layer through averageCamMaps is gradCamFromActivations' map, and matches the reference too.
  const single = gradCamLayer(ctx, tensors[1]!.act, tensors[1]!.grad, [H, W]);
  const viaAverage = averageCamMaps(ctx, [single.scaled]);
  const direct = gradCamFromActivations(ctx, tensors[1]!.act, tensors[1]!.grad, [H, W]);
  const a = await viaAverage.read();
  expect(maxAbs(a, await direct.map.read())).toBe(0);
  expect(maxAbs(a, aggregateMultiLayer64([layers[1]!], H, W))).toBeLessThan(1e-4);

  for (const t of [map, single.weights, single.raw, single.scaled, viaAverage, direct.weights, direct.raw, direct.map]) t.release();
  for (const { act, grad } of tensors) {
    act.release();
    grad.release();
  }
  expect(ctx.pool.liveBytes).toBe(before);
});
