// ScoreCAM and AblationCAM (src/cam/methods/) through Wgcam.explain against pytorch-grad-cam's own maps
// (methods-scorecam-small: layer2, 1x3x40x48, batch size 32), max absolute error 2e-3, through the library and the
// CLI (another batch size: at a ReLU output neither map depends on it); the progress callback;
// and AblationCAM inside a bottleneck, where the ablated tensor is not a ReLU output (the library's min - 1e7
// value), against the same method run through the full forward.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readSafetensors, toFloat32 } from '../src/model/safetensors.ts';
import { MaskedForwards } from '../src/cam/masked_forwards.ts';
import { ablationCamWeights } from '../src/cam/methods/ablationcam.ts';
import type { CamProgress } from '../src/cam/method.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type HostTensor } from '../src/session.ts';
import { FIXTURES, Fixture, maxAbs } from './helpers/fixtures.ts';

let session: Wgcam;

beforeAll(async () => {
  session = Wgcam.fromContext(await createNodeGpuContext(), syntheticResNet50());
}, 600_000);

afterAll(() => session?.destroy());

function input(fx: Fixture): HostTensor {
  return { shape: fx.shape('input'), data: fx.f32('input') };
}

test('scorecam and ablationcam at layer2 match pytorch-grad-cam (max abs 2e-3), with progress per method', async () => {
  const fx = new Fixture('methods-scorecam-small');
  const targets = fx.i64('targets');
  const progress: CamProgress[] = [];
  const r = await session.explain(input(fx), {
    methods: ['scorecam', 'ablationcam'],
    layers: ['layer2'],
    targets,
    batchSize: 32,
    onProgress: (p) => progress.push(p),
  });
  for (const m of ['scorecam', 'ablationcam']) {
    const key = `method.${m}.map`;
    const got = r.methods.get(m)!.map;
    expect(got.shape).toEqual(fx.shape(key));
    expect(maxAbs(got.data, fx.f32(key)), key).toBeLessThan(2e-3);
    // layer2 has 512 channels: 16 batches of 32, reported as they finish, in order, up to the total.
    const mine = progress.filter((p) => p.method === m);
    expect(mine.length).toBe(16);
    expect(mine.every((p, i) => p.total === 512 && p.done === (i + 1) * 32)).toBe(true);
  }
});

test('ablationcam inside a bottleneck (forwardFrom with the block input) equals ablating in the full forward', async () => {
  // layer4.2.conv3 is a conv output (negative values): the library's cascading min - (b + 1) * 1e7 applies. The
  // reference builds each ablated batch on the host and resumes from it (forwardFrom is checked against the full
  // forward in forward_from.test.ts); the method builds them on the GPU.
  const fx = new Fixture('methods-scorecam-small');
  const targets = fx.i64('targets');
  const layer = 'layer4.2.conv3';
  const ctx = session.ctx;
  const model = session.model;
  const x = ctx.upload(fx.f32('input'), fx.shape('input'));
  const { logits, captured } = model.forward(x, { capture: [layer, 'layer4.1'] });
  const act = captured.get(layer)!;
  const channels = act.shape[1]!;
  const batchSize = 48; // 2048 channels: a last partial batch of 32
  const weights = await ablationCamWeights(ctx, model, { layer, act, blockInput: captured.get('layer4.1')!, logits }, targets, batchSize, new MaskedForwards(ctx, channels));
  const got = await weights.read();
  // The same weights from the host: per batch, copy b's channel c0 + b set to the cascading value.
  const actHost = await act.read();
  const blockHost = await captured.get('layer4.1')!.read();
  const y = (await logits.read())[targets[0]!]!;
  let lo = Infinity;
  for (const v of actHost) lo = Math.min(lo, v);
  expect(lo).toBeLessThan(0);
  const plane = actHost.length;
  const want = new Float32Array(channels);
  for (let c0 = 0; c0 < channels; c0 += batchSize) {
    const count = Math.min(batchSize, channels - c0);
    const batch = new Float32Array(count * plane);
    const blocks = new Float32Array(count * blockHost.length);
    let v = lo;
    for (let b = 0; b < count; b++) {
      v = Math.fround(v - 1e7);
      batch.set(actHost, b * plane);
      const area = plane / channels;
      batch.fill(v, b * plane + (c0 + b) * area, b * plane + (c0 + b + 1) * area);
      blocks.set(blockHost, b * blockHost.length);
    }
    const a = ctx.upload(batch, [count, ...act.shape.slice(1)]);
    const bi = ctx.upload(blocks, [count, ...captured.get('layer4.1')!.shape.slice(1)]);
    const out = model.forwardFrom(layer, a, { blockInput: bi });
    const scores = await out.read();
    for (let b = 0; b < count; b++) want[c0 + b] = Math.fround(Math.fround(y - scores[b * 1000 + targets[0]!]!) / y);
    for (const t of [a, bi, out]) t.release();
  }
  expect(maxAbs(got, want)).toBeLessThan(1e-4);
  // And the method end to end at that layer gives a map in [0, 1] of the input's size.
  const r = await session.explain(input(fx), { methods: ['ablationcam'], layers: [layer], targets, batchSize });
  const map = r.methods.get('ablationcam')!.map;
  expect(map.shape).toEqual([1, 40, 48]);
  expect(Math.max(...map.data)).toBeGreaterThan(0.99);
  for (const t of [x, logits, weights, ...captured.values()]) t.release();
});

test('wgcam cam --method scorecam,ablationcam --batch-size 100 --dump --verbose: the fixture\'s maps (partial last batches), progress on stderr', async () => {
  const fx = new Fixture('methods-scorecam-small');
  const out = join(mkdtempSync(join(tmpdir(), 'wgcam-score-')), 'dump.safetensors');
  const bin = new URL('../bin/wgcam.mjs', import.meta.url).pathname;
  const args = ['cam', '--weights', 'synthetic', '--tensor', `${FIXTURES}methods-scorecam-small.safetensors`, '--layer', 'layer2', '--target', String(fx.i64('targets')[0]), '--method', 'scorecam,ablationcam', '--batch-size', '100', '--dump', out, '--verbose'];
  const { stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { maxBuffer: 1 << 24 });
  const dump = readSafetensors(new Uint8Array(readFileSync(out)));
  for (const m of ['scorecam', 'ablationcam']) {
    const key = `method.${m}.map`;
    const t = dump.tensors.get(key)!;
    expect([...t.shape]).toEqual(fx.shape(key));
    expect(maxAbs(toFloat32(t), fx.f32(key)), key).toBeLessThan(2e-3);
    expect(stderr).toContain(`${m}: 512 / 512 forwards (100%)`);
  }
  const bad = await promisify(execFile)(process.execPath, [bin, ...args.slice(0, -5), '--batch-size', '0']).catch((e: { code: number; stderr: string }) => e);
  expect('code' in bad && bad.code).not.toBe(0);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr).toMatch(/BAD_ARGUMENT.*batch size/);
});
