// ResNet50.forwardFrom: the network after a target layer, from that layer's output, against PyTorch's logits
// (eval-odd-batch2) and against the full forward of the same input.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { ResNet50 } from '../src/model/resnet50.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Fixture, relL2 } from './helpers/fixtures.ts';

let ctx: GpuContext;
let model: ResNet50;

beforeAll(async () => {
  ctx = await createNodeGpuContext();
  model = ResNet50.load(ctx, syntheticResNet50());
});

afterAll(() => {
  model.destroy();
  ctx.destroy();
});

/** Each resume path with the module whose output is the input of its bottleneck (for paths inside a block). */
const CASES: Array<[string, string | null]> = [
  ['maxpool', null],
  ['bn1', null],
  ['layer2', null],
  ['layer3.2', null],
  ['layer4.2', null],
  ['layer1.0.conv1', 'maxpool'],
  ['layer2.0.downsample.0', 'layer1'],
  ['layer2.0.downsample', 'layer1'],
  ['layer3.1.bn2', 'layer3.0'],
  ['layer3.0.conv2', 'layer2'],
  ['layer4.2.conv3', 'layer4.1'],
  ['layer4.2.bn3', 'layer4.1'],
  ['avgpool', null],
];

test('forwardFrom(layer, its output) gives the full forward\'s logits (PyTorch within 1e-4)', async () => {
  const fx = new Fixture('eval-odd-batch2');
  const want = fx.f32('logits');
  const input = ctx.upload(fx.f32('input'), fx.shape('input'));
  const capture = new Set(CASES.flatMap(([p, b]) => (b ? [p, b] : [p])));
  const { logits, captured } = model.forward(input, { capture });
  const full = await logits.read();
  expect(relL2(full, want)).toBeLessThan(1e-4);
  for (const [path, blockInput] of CASES) {
    const out = model.forwardFrom(path, captured.get(path)!, blockInput ? { blockInput: captured.get(blockInput)! } : {});
    expect(out.shape).toEqual([2, 1000]);
    const got = await out.read();
    out.release();
    expect(relL2(got, want), path).toBeLessThan(1e-4);
    expect(relL2(got, full), path).toBeLessThan(1e-5);
  }
  for (const t of [input, logits, ...captured.values()]) t.release();
});

test('forwardFrom runs any batch size: each row of a repeated activation is that image\'s logits', async () => {
  const fx = new Fixture('eval-odd-batch2');
  const want = fx.f32('logits');
  const [, c, h, w] = fx.shape('act.layer4') as [number, number, number, number];
  const act = fx.f32('act.layer4');
  // Image 1, image 0, image 1: a batch of three from PyTorch's activations.
  const plane = c * h * w;
  const rows = [1, 0, 1];
  const batch = new Float32Array(rows.length * plane);
  rows.forEach((n, i) => batch.set(act.subarray(n * plane, (n + 1) * plane), i * plane));
  const t = ctx.upload(batch, [rows.length, c, h, w]);
  const out = model.forwardFrom('layer4', t);
  const got = await out.read();
  rows.forEach((n, i) => expect(relL2(got.subarray(i * 1000, (i + 1) * 1000), want.subarray(n * 1000, (n + 1) * 1000))).toBeLessThan(1e-4));
  out.release();
  t.release();
});

test('forwardFrom rejects an unknown layer and a missing block input with a coded error', () => {
  const t = ctx.zeros([1, 256, 8, 8]);
  expect(() => model.forwardFrom('layer9', t)).toThrow(expect.objectContaining({ code: 'UNKNOWN_LAYER' }));
  expect(() => model.forwardFrom('layer2.0.conv3', t)).toThrow(expect.objectContaining({ code: 'BAD_INPUT_SHAPE' }));
  t.release();
});
