// Guided backpropagation, Guided Grad-CAM, FullGrad, aug_smooth and the CAM-multiply metric (Wgcam.explain and
// `wgcam cam`) against pytorch-grad-cam's own outputs (test/fixtures/methods-*.safetensors, definitions and
// tolerances in test/fixtures/README.md): float tensors by relative L2 1e-3, maps by max absolute error 2e-3,
// uint8 pictures within one step. Also the guided ReLU backward kernels against their rule on random data.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { reluBackward } from '../src/kernels/elementwise/relu_backward.ts';
import { batchnormScaleBackward } from '../src/kernels/norm/batchnorm_backward.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type HostTensor } from '../src/session.ts';
import { readSafetensors, toFloat32, toUint8 } from '../src/model/safetensors.ts';
import { Fixture, FIXTURES, maxAbs, overlayMismatch, relL2 } from './helpers/fixtures.ts';
import { minMaxNormalize, mulberry32, randn, resizeBilinearOpenCV } from './reference/ops.ts';
import { fullGradMap } from '../src/cam/fullgrad.ts';
import { deprocessImage } from '../src/kernels/cam/deprocess_image.ts';
import { ttaAugment } from '../src/kernels/cam/tta_augment.ts';
import { ttaMeanAdd } from '../src/kernels/cam/tta_mean.ts';

let session: Wgcam;

beforeAll(async () => {
  session = Wgcam.fromContext(await createNodeGpuContext(), syntheticResNet50());
}, 600_000);

afterAll(() => session?.destroy());

function input(fx: Fixture): HostTensor {
  return { shape: fx.shape('input'), data: fx.f32('input') };
}

/** The largest byte difference of two uint8 pictures of one shape. */
function maxByteDiff(got: Uint8Array, want: Uint8Array): number {
  expect(got.length).toBe(want.length);
  return overlayMismatch(got, want).maxDiff;
}

for (const name of ['methods-chelsea', 'methods-odd-batch2']) {
  describe(name, () => {
    const fx = new Fixture(name);
    const layers = JSON.parse(fx.metadata.layers!) as string[];
    const targets = fx.i64('targets');

    test('guided backprop, Guided Grad-CAM, FullGrad and the cam-mult metric', async () => {
      const r = await session.explain(input(fx), { methods: ['gradcam', 'fullgrad'], layers, targets, guided: true, metrics: ['cam-mult'] });
      expect(r.targets).toEqual(targets);
      expect(maxAbs(r.methods.get('gradcam')!.map.data, fx.f32('method.gradcam.map'))).toBeLessThan(2e-3);
      const fullgrad = r.methods.get('fullgrad')!.map;
      expect(fullgrad.shape).toEqual(fx.shape('method.fullgrad.map'));
      expect(maxAbs(fullgrad.data, fx.f32('method.fullgrad.map'))).toBeLessThan(2e-3);

      const guided = r.guided!;
      expect(guided.gradient.shape).toEqual(fx.shape('guided_backprop'));
      expect(relL2(guided.gradient.data, fx.f32('guided_backprop'))).toBeLessThan(1e-3);
      expect(maxByteDiff(guided.backprop, fx.u8('guided_backprop.u8'))).toBeLessThanOrEqual(1);
      expect(maxByteDiff(guided.gradcam, fx.u8('guided_gradcam.u8'))).toBeLessThanOrEqual(1);

      const change = r.methods.get('gradcam')!.metrics!.get('cam_mult_change')!;
      expect(change.shape).toEqual([targets.length]);
      expect(relL2(change.data, fx.f32('metric.gradcam.cam_mult_change'))).toBeLessThan(1e-3);
      // Each method's metric is of its own map: FullGrad's differs from Grad-CAM's.
      const fullgradChange = r.methods.get('fullgrad')!.metrics!.get('cam_mult_change')!;
      expect(relL2(fullgradChange.data, change.data)).toBeGreaterThan(1e-3);
    }, 900_000);

    test('aug_smooth: six test-time augmentations, de-augmented and averaged', async () => {
      const r = await session.explain(input(fx), { methods: ['gradcam'], layers, targets, augSmooth: true });
      const map = r.methods.get('gradcam')!.map;
      expect(map.shape).toEqual(fx.shape('method.gradcam.aug_smooth.map'));
      expect(maxAbs(map.data, fx.f32('method.gradcam.aug_smooth.map'))).toBeLessThan(2e-3);
      // Not the plain map: the smoothing did something.
      expect(maxAbs(map.data, fx.f32('method.gradcam.map'))).toBeGreaterThan(1e-2);
    }, 900_000);
  });
}

test('wgcam cam --guided --metric cam-mult --dump names and computes every key as methods-odd-batch2 does', async () => {
  const fx = new Fixture('methods-odd-batch2');
  const out = join(mkdtempSync(join(tmpdir(), 'wgcam-guided-')), 'guided.safetensors');
  const layerArgs = (JSON.parse(fx.metadata.layers!) as string[]).flatMap((l) => ['--layer', l]);
  const bin = new URL('../bin/wgcam.mjs', import.meta.url).pathname;
  const args = ['cam', '--weights', 'synthetic', '--tensor', `${FIXTURES}methods-odd-batch2.safetensors`, ...layerArgs];
  await promisify(execFile)(process.execPath, [bin, ...args, '--target', fx.i64('targets').join(','), '--guided', '--metric', 'cam-mult', '--dump', out], { maxBuffer: 1 << 24 });
  const file = readSafetensors(new Uint8Array(readFileSync(out)));
  const f32 = (k: string) => toFloat32(file.tensors.get(k)!);
  const u8 = (k: string) => toUint8(file.tensors.get(k)!);
  expect([...file.tensors.keys()].sort()).toEqual(
    ['guided_backprop', 'guided_backprop.u8', 'guided_gradcam.u8', 'logits', 'method.gradcam.map', 'metric.gradcam.cam_mult_change'].sort(),
  );
  expect(maxAbs(f32('method.gradcam.map'), fx.f32('method.gradcam.map'))).toBeLessThan(2e-3);
  expect([...file.tensors.get('guided_backprop')!.shape]).toEqual(fx.shape('guided_backprop'));
  expect(relL2(f32('guided_backprop'), fx.f32('guided_backprop'))).toBeLessThan(1e-3);
  for (const k of ['guided_backprop.u8', 'guided_gradcam.u8']) {
    expect([...file.tensors.get(k)!.shape]).toEqual(fx.shape(k));
    expect(maxByteDiff(u8(k), fx.u8(k)), k).toBeLessThanOrEqual(1);
  }
  expect(relL2(f32('metric.gradcam.cam_mult_change'), fx.f32('metric.gradcam.cam_mult_change'))).toBeLessThan(1e-3);
  // An unknown metric: one coded line, non-zero exit, before any GPU work.
  const bad = await promisify(execFile)(process.execPath, [bin, ...args, '--metric', 'nosuch']).catch((e: { code: number; stderr: string }) => e);
  expect('code' in bad && bad.code).toBe(1);
  expect(bad.stderr).toMatch(/error \[BAD_ARGUMENT\]: unknown metric "nosuch"/);
}, 900_000);

test('explain rejects an unknown metric with one coded error', async () => {
  const fx = new Fixture('methods-odd-batch2');
  await expect(session.explain(input(fx), { metrics: ['nosuchmetric'] })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
});

describe('guided ReLU backward kernels', () => {
  let ctx: GpuContext;
  beforeAll(() => {
    ctx = session.ctx;
  });
  const n = 2 * 3 * 5 * 7;
  const rand = mulberry32(7);
  const dy = Float32Array.from(randn(n, rand));
  // ReLU outputs: zero in about half the places, as after a real ReLU.
  const y = Float32Array.from(randn(n, rand), (v) => Math.max(v, 0));
  const scale = Float32Array.from(randn(3, rand));
  const guided = (i: number) => (y[i]! > 0 && dy[i]! > 0 ? dy[i]! : 0);

  test('relu_backward passes dy only where y > 0 and dy > 0', async () => {
    const dyT = ctx.upload(dy, [2, 3, 5, 7]);
    const yT = ctx.upload(y, [2, 3, 5, 7]);
    const got = await reluBackward(ctx, dyT, yT, true).read();
    expect(Array.from(got)).toEqual(Array.from(dy, (_, i) => guided(i)));
    const plain = await reluBackward(ctx, dyT, yT).read();
    expect(Array.from(plain)).toEqual(Array.from(dy, (v, i) => (y[i]! > 0 ? v : 0)));
  });

  test('the fused batchnorm + ReLU backward applies the guided rule before the scale', async () => {
    const dyT = ctx.upload(dy, [2, 3, 5, 7]);
    const yT = ctx.upload(y, [2, 3, 5, 7]);
    const got = await batchnormScaleBackward(ctx, dyT, ctx.upload(scale, [3]), yT, true).read();
    // + 0: a masked zero times a negative scale is -0 on both sides; compare values, not zero signs.
    expect(Array.from(got, (v) => v + 0)).toEqual(Array.from(dy, (_, i) => Math.fround(guided(i) * scale[Math.floor(i / 35) % 3]!) + 0));
  });
});

// ---- float64 references on random shapes (sizes and batches the fixtures do not have) -------------------------

/** FullGrad as the library computes it: every term scaled per image and channel, resized, summed; then scaled. */
function fullGradReference(
  x: Float64Array,
  dx: Float64Array,
  [n, h0, w0]: [number, number, number],
  layers: Array<{ bias: Float64Array; grad: Float64Array; shape: [number, number, number, number] }>,
): Float64Array {
  const area = h0 * w0;
  const total = new Float64Array(n * area);
  const addPlane = (img: number, plane: Float64Array, h: number, w: number) => {
    const resized = resizeBilinearOpenCV(minMaxNormalize(plane), h, w, h0, w0);
    for (let i = 0; i < area; i++) total[img * area + i]! += resized[i]!;
  };
  for (let img = 0; img < n; img++) {
    for (let c = 0; c < 3; c++) {
      const off = (img * 3 + c) * area;
      addPlane(img, Float64Array.from({ length: area }, (_, i) => Math.abs(x[off + i]! * dx[off + i]!)), h0, w0);
    }
    for (const { bias, grad, shape } of layers) {
      const [, channels, h, w] = shape;
      for (let c = 0; c < channels; c++) {
        const off = (img * channels + c) * h * w;
        addPlane(img, Float64Array.from({ length: h * w }, (_, i) => Math.abs(bias[c]! * grad[off + i]!)), h, w);
      }
    }
  }
  const out = new Float64Array(n * area);
  for (let img = 0; img < n; img++) out.set(minMaxNormalize(total.subarray(img * area, (img + 1) * area)), img * area);
  return out;
}

describe('on random data against float64 references', () => {
  const rand = mulberry32(25);
  const f32 = (values: Float64Array) => Float32Array.from(values);

  test('fullGradMap: layers of several sizes (two sharing one), batch 3, an odd input size', async () => {
    const ctx = session.ctx;
    const [n, h0, w0] = [3, 19, 13];
    const x = f32(randn(n * 3 * h0 * w0, rand));
    const dx = f32(randn(n * 3 * h0 * w0, rand));
    const shapes: Array<[number, number, number, number]> = [
      [n, 4, 10, 7],
      [n, 6, 5, 4],
      [n, 3, 10, 7],
      [n, 5, 19, 13],
    ];
    const layers = shapes.map((shape) => ({ bias: f32(randn(shape[1], rand)), grad: f32(randn(shape.reduce((a, b) => a * b), rand)), shape }));
    // One channel of one layer is all zeros: scale_cam_image makes it 0, not NaN.
    layers[1]!.grad.fill(0, 0, 5 * 4);
    const want = fullGradReference(Float64Array.from(x), Float64Array.from(dx), [n, h0, w0], layers.map((l) => ({ bias: Float64Array.from(l.bias), grad: Float64Array.from(l.grad), shape: l.shape })));
    const map = fullGradMap(
      ctx,
      ctx.upload(x, [n, 3, h0, w0]),
      ctx.upload(dx, [n, 3, h0, w0]),
      layers.map((l) => ({ bias: ctx.upload(l.bias, [l.shape[1]]), grad: ctx.upload(l.grad, l.shape) })),
    );
    expect(map.shape).toEqual([n, h0, w0]);
    expect(maxAbs(await map.read(), want)).toBeLessThan(1e-5);
  });

  test('deprocessImage: mean and std per image, 0.1 around 0.5, clipped, truncated, channels last', async () => {
    const ctx = session.ctx;
    const [n, c, h, w] = [2, 3, 9, 7];
    const x = f32(randn(n * c * h * w, rand).map((v, i) => v * (i < c * h * w ? 1e-3 : 5) + 0.2));
    const got = await deprocessImage(ctx, ctx.upload(x, [n, c, h, w]));
    const size = c * h * w;
    const want = new Uint8Array(n * size);
    let nearBoundary = 0;
    for (let img = 0; img < n; img++) {
      const v = Array.from(x.subarray(img * size, (img + 1) * size));
      const mean = v.reduce((a, b) => a + b, 0) / size;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / size);
      for (let ch = 0; ch < c; ch++)
        for (let p = 0; p < h * w; p++) {
          const u = Math.min(1, Math.max(0, ((v[ch * h * w + p]! - mean) / (std + 1e-5)) * 0.1 + 0.5)) * 255;
          if (Math.abs(u - Math.round(u)) < 1e-2) nearBoundary++;
          want[img * size + p * c + ch] = Math.trunc(u);
        }
    }
    // float32 on the GPU: a byte may differ by one only where the float64 value sits next to an integer.
    let differing = 0;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      maxDiff = Math.max(maxDiff, d);
      if (d > 0) differing++;
    }
    expect(maxDiff).toBeLessThanOrEqual(1);
    expect(differing).toBeLessThanOrEqual(nearBoundary);
  });

  test('ttaAugment and ttaMeanAdd: flip, multiply, flip back, mean', async () => {
    const ctx = session.ctx;
    const [n, c, h, w] = [2, 3, 4, 5];
    const x = f32(randn(n * c * h * w, rand));
    const flipped = await ttaAugment(ctx, ctx.upload(x, [n, c, h, w]), true, 1.1).read();
    expect(Array.from(flipped)).toEqual(Array.from(x, (_, i) => Math.fround(x[i - (i % w) + (w - 1 - (i % w))]! * Math.fround(1.1))));
    const maps = [f32(randn(n * h * w, rand)), f32(randn(n * h * w, rand)), f32(randn(n * h * w, rand))];
    const flips = [false, true, true];
    const sum = ctx.empty([n, h, w]);
    maps.forEach((m, run) => ttaMeanAdd(ctx, ctx.upload(m, [n, h, w]), sum, { flip: flips[run]!, run, runs: 3 }));
    const want = Array.from({ length: n * h * w }, (_, i) => {
      const j = i - (i % w) + (w - 1 - (i % w));
      return (maps[0]![i]! + maps[1]![j]! + maps[2]![j]!) / 3;
    });
    expect(maxAbs(await sum.read(), want)).toBeLessThan(1e-6);
  });
});
