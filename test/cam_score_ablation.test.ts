// ScoreCAM and AblationCAM against pytorch-grad-cam's own maps (methods-scorecam-small: layer2, 1x3x40x48),
// max absolute error 2e-3.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { ablationCamWeights } from '../src/cam/ablationcam_weights.ts';
import { averageCamMaps, scaleCamImage } from '../src/cam/gradcam.ts';
import { MaskedForwards } from '../src/cam/masked_forwards.ts';
import { scoreCamWeights } from '../src/cam/scorecam_weights.ts';
import { camWeightedSum } from '../src/kernels/cam/cam_weighted_sum.ts';
import { ResNet50, blockInputPath } from '../src/model/resnet50.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Fixture } from './helpers/fixtures.ts';

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

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function mapFromWeights(act: Tensor, weights: Tensor, size: [number, number]): Promise<Float32Array> {
  const raw = camWeightedSum(ctx, act, weights);
  const scaled = scaleCamImage(ctx, raw, size);
  const map = averageCamMaps(ctx, [scaled]);
  const out = await map.read();
  for (const t of [raw, scaled, map]) t.release();
  return out;
}

test.each(['scorecam', 'ablationcam'] as const)('%s at layer2 matches pytorch-grad-cam (max abs 2e-3)', async (method) => {
  const fx = new Fixture('methods-scorecam-small');
  const targets = fx.i64('targets');
  const [, , h, w] = fx.shape('input') as [number, number, number, number];
  const input = ctx.upload(fx.f32('input'), fx.shape('input'));
  const layer = 'layer2';
  const { logits, captured } = model.forward(input, { capture: [layer] });
  const act = captured.get(layer)!;
  const channels = act.shape[1]!;
  const seen: number[] = [];
  const forwards = new MaskedForwards(ctx, channels, (done, total) => {
    expect(total).toBe(channels);
    seen.push(done);
  });
  const weights =
    method === 'scorecam'
      ? await scoreCamWeights(ctx, model, input, act, targets, 32, forwards)
      : await ablationCamWeights(ctx, model, { layer, act, blockInput: null, logits }, targets, 32, forwards);
  await forwards.finish();
  expect(seen.at(-1)).toBe(channels);
  expect(seen.length).toBe(Math.ceil(channels / 32));
  const map = await mapFromWeights(act, weights, [h, w]);
  expect(maxAbs(map, fx.f32(`method.${method}.map`))).toBeLessThan(2e-3);
  for (const t of [input, logits, act, weights]) t.release();
  expect(blockInputPath(layer)).toBeNull();
});
