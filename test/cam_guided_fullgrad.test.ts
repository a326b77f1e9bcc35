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
import { mulberry32, randn } from './reference/ops.ts';

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
