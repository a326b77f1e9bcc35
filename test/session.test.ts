// The library API: Grad-CAM through `Wgcam` matches the fixtures, memory does not grow over many calls,
// concurrent calls are not mixed, and a lost device is replaced on the next call.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type HostTensor } from '../src/session.ts';
import { Fixture, maxAbs, overlayMismatch, relL2 } from './helpers/fixtures.ts';
import { mulberry32, randn } from './reference/ops.ts';

let session: Wgcam;
const weights = syntheticResNet50();

beforeAll(async () => {
  session = Wgcam.fromContext(await createNodeGpuContext(), weights, createNodeGpuContext);
});
afterAll(() => session?.destroy());

function smallInput(seed: number, batch = 1, h = 64, w = 48): HostTensor {
  return { shape: [batch, 3, h, w], data: Float32Array.from(randn(batch * 3 * h * w, mulberry32(seed))) };
}

test('Grad-CAM of eval-chelsea at layer4 and layer4.2.conv3 matches pytorch-grad-cam', async () => {
  const fx = new Fixture('eval-chelsea');
  const input: HostTensor = { shape: fx.shape('input'), data: fx.f32('input') };
  for (const layer of ['layer4', 'layer4.2.conv3']) {
    const r = await session.gradcam(input, { layers: [layer], targets: 'top', pictures: [fx.u8('image')] });
    expect(r.targets).toEqual([Number(fx.metadata.target)]);
    const cam = r.layers.get(layer)!;
    expect(relL2(cam.act.data, fx.f32(`cam.${layer}.act`))).toBeLessThan(1e-4);
    expect(relL2(cam.grad.data, fx.f32(`cam.${layer}.grad`))).toBeLessThan(1e-3);
    expect(relL2(cam.weights.data, fx.f32(`cam.${layer}.weights`))).toBeLessThan(1e-3);
    expect(relL2(cam.raw.data, fx.f32(`cam.${layer}.raw`))).toBeLessThan(1e-3);
    expect(maxAbs(cam.map.data, fx.f32(`cam.${layer}.map`))).toBeLessThan(2e-3);
    const m = overlayMismatch(r.overlay!, fx.u8(`cam.${layer}.overlay`));
    expect(m.fractionOver1).toBeLessThan(0.005);
  }
});

test('200 Grad-CAM calls leave the live GPU bytes where they were', async () => {
  const input = smallInput(1);
  await session.gradcam(input, { layers: ['layer4'] });
  const baseline = session.ctx.pool.liveBytes;
  for (let i = 0; i < 200; i++) {
    await session.gradcam(input, { layers: [i % 2 ? 'layer4' : 'layer3.5'], targets: [i % 1000] });
    expect(session.ctx.pool.liveBytes).toBe(baseline);
  }
});

test('two Grad-CAM calls started at once both return their own results', async () => {
  const a = smallInput(2);
  const b = smallInput(3, 1, 40, 56);
  const aloneA = await session.gradcam(a, { layers: ['layer4'], targets: [1] });
  const aloneB = await session.gradcam(b, { layers: ['layer3'], targets: [2] });
  const [ra, rb] = await Promise.all([
    session.gradcam(a, { layers: ['layer4'], targets: [1] }),
    session.gradcam(b, { layers: ['layer3'], targets: [2] }),
  ]);
  expect(ra.map.data).toEqual(aloneA.map.data);
  expect(rb.map.data).toEqual(aloneB.map.data);
  expect(rb.map.shape).toEqual([1, 40, 56]);
});

test('device loss: the call in flight rejects with DEVICE_LOST, the next call recovers', async () => {
  const input = smallInput(4);
  const before = await session.classify(input, { topK: 3 });
  const inFlight = session.gradcam(input, { layers: ['layer4'] });
  session.ctx.device.destroy();
  await expect(inFlight).rejects.toSatisfy((e) => e instanceof WgcamError && e.code === 'DEVICE_LOST');
  const after = await session.classify(input, { topK: 3 });
  expect(session.recoveries).toBe(1);
  // The new device on the same adapter took the first one's tuned tiles (the session's own store) and its
  // class's priors, so it computes as the first did, without measuring again.
  expect((await session.tune())?.source).toBe('cached');
  expect(after.top[0]!.map((p) => p.index)).toEqual(before.top[0]!.map((p) => p.index));
  expect(relL2(after.logits.data, before.logits.data)).toBeLessThan(1e-6);
});

test('forced settings replace the priors of every device the session makes, without measuring', async () => {
  const forced = Wgcam.fromContext(await createNodeGpuContext(), weights, undefined, { tuning: { force: 'direct-fit', reductions: 'serial', convForms: 'gemm' } });
  try {
    expect((await forced.tune())?.source).toBe('forced');
    // 'direct-fit' is the earlier name of 'untiled-fit'.
    expect(forced.kernels).toMatchObject({ reductions: 'serial', windows: { forward: 'none', inputGrad: 'none' } });
    expect(forced.kernels.tiles).toEqual({ core: 'untiled', tileM: 64, tileN: 64, tileK: 1, threadsM: 8, threadsN: 8, fit: true });
  } finally {
    forced.destroy();
  }
});

test('bad requests are typed errors', async () => {
  const input = smallInput(5);
  const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof WgcamError ? e.code : String(e)));
  expect(await code(session.gradcam(input, { layers: ['layer5'] }))).toBe('UNKNOWN_LAYER');
  // Issue 24: layers without a spatial output, non-finite and empty inputs are refused before any work.
  expect(await code(session.gradcam(input, { layers: ['fc'] }))).toBe('NOT_A_CAM_LAYER');
  expect(await code(session.gradcam(input, { layers: ['avgpool'] }))).toBe('NOT_A_CAM_LAYER');
  const nan = { shape: [...input.shape], data: input.data.map((v, i) => (i === 7 ? NaN : v)) };
  expect(await code(session.classify(nan))).toBe('INPUT_NON_FINITE');
  expect(await code(session.gradcam({ shape: [...input.shape], data: input.data.map(() => -Infinity) }, { layers: ['layer4'] }))).toBe('INPUT_NON_FINITE');
  expect(await code(session.classify({ shape: [0, 3, 224, 224], data: new Float32Array(0) }))).toBe('BAD_INPUT_SHAPE');
  expect(await code(session.gradcam(input, { layers: ['layer4'], targets: [1000] }))).toBe('BAD_TARGETS');
  expect(await code(session.gradcam(input, { layers: ['layer4'], targets: [-1] }))).toBe('BAD_TARGETS');
  expect(await code(session.gradcam(input, { layers: ['layer4'], targets: [1, 2] }))).toBe('BAD_TARGETS');
  expect(await code(session.gradcam(input, { layers: ['layer4'], alpha: 1.5 }))).toBe('BAD_ALPHA');
  expect(await code(session.gradcam(input, { layers: ['layer4'], colormap: 'rainbow' as never }))).toBe('UNKNOWN_COLORMAP');
  expect(await code(session.gradcam(input, { layers: ['layer4'], params: ['conv9.weight'] }))).toBe('UNKNOWN_PARAMETER');
  expect(await code(session.classify({ shape: [1, 3, 16, 16], data: new Float32Array(768) }))).toBe('BAD_INPUT_SHAPE');
});
