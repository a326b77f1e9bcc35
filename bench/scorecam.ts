// ScoreCAM's end-to-end row: Wgcam.explain with method scorecam at layer4 on one image (2048 masked forwards at
// 224x224), in masked forwards per second, beside a plain batched forward of the same batch size (ResNet50.forward
// on a batch of that many images, logits read back), the ceiling those forwards could reach. `--quick` times the
// masked forwards of the first 64 channels only (scoreCamWeights on a slice of the activations), which is the
// same work per forward.
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { MaskedForwards } from '../src/cam/masked_forwards.ts';
import { scoreCamWeights } from '../src/cam/methods/scorecam.ts';
import { Wgcam } from '../src/session.ts';
import type { WeightMap } from '../src/model/resnet50.ts';
import { benchInput } from './core.ts';

export interface ScorecamBench {
  layer: string;
  size: number;
  batch_size: number;
  /** Masked forwards timed: 2048 (every channel of layer4), or the channel subset of --quick. */
  masked_forwards: number;
  /** True when only the first `masked_forwards` channels ran (--quick). */
  subset: boolean;
  ms: number;
  masked_forwards_per_s: number;
  /** One plain forward of a batch of `batch_size` images, logits read back (median). */
  plain_batch_ms: number;
  plain_forwards_per_s: number;
  /** masked_forwards_per_s over plain_forwards_per_s (1 would mean no cost beyond the forwards themselves). */
  over_plain: number;
  what: string;
}

export interface ScorecamBenchOptions {
  size: number;
  batchSize: number;
  /** Channels of layer4 to run (2048: all; fewer for --quick). */
  channels: number;
  /** Timed runs of the plain batched forward. */
  runs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The first `channels` channels of one image's act [1, C, h, w] (contiguous in NCHW), copied on the GPU. */
function firstChannels(ctx: GpuContext, act: Tensor, channels: number): Tensor {
  const [, , h, w] = act.shape as [number, number, number, number];
  const slice = ctx.empty([1, channels, h, w], 'f32', 'scorecam bench channels');
  ctx.commandEncoder().copyBufferToBuffer(act.buffer, 0, slice.buffer, 0, channels * h * w * 4);
  return slice;
}

export async function benchScorecam(ctx: GpuContext, weights: WeightMap, options: ScorecamBenchOptions, log: (line: string) => void): Promise<ScorecamBench> {
  const { size, batchSize, channels } = options;
  const session = Wgcam.fromContext(ctx, weights, undefined, { tuning: false }); // the suite chose the tiles already
  const model = session.model;
  const one = benchInput(1, size);
  const input = ctx.upload(one.data, one.shape, 'f32', 'scorecam bench input');
  const batch = benchInput(batchSize, size);
  const batchInput = ctx.upload(batch.data, batch.shape, 'f32', 'scorecam bench batch');
  try {
    // The plain batched forward: one untimed call (compilation), then the timed ones.
    const plain = async () => {
      const { logits } = model.forward(batchInput);
      await logits.read();
      logits.release();
    };
    await plain();
    const times: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      const t0 = performance.now();
      await plain();
      times.push(performance.now() - t0);
    }
    const plainMs = median(times);
    const plainRate = (batchSize * 1000) / plainMs;
    log(`scorecam bench: plain forward of ${batchSize} at ${size}x${size}: median ${plainMs.toFixed(0)} ms (${plainRate.toFixed(2)} forwards/s)`);

    const progress = (done: number, total: number) => {
      if (done === total || done % (batchSize * 16) === 0) log(`scorecam bench: ${done} / ${total} masked forwards`);
    };
    let ms: number;
    if (channels >= 2048) {
      const t0 = performance.now();
      await session.explain(input, { methods: ['scorecam'], layers: ['layer4'], targets: 'top', batchSize, onProgress: (p) => progress(p.done, p.total) });
      ms = performance.now() - t0;
    } else {
      const { logits, captured } = model.forward(input, { capture: ['layer4'] });
      const act = captured.get('layer4')!;
      const slice = firstChannels(ctx, act, channels);
      const target = (await logits.read()).reduce((best, v, i, all) => (v > all[best]! ? i : best), 0);
      const t0 = performance.now();
      const forwards = new MaskedForwards(ctx, channels, progress);
      const w = await scoreCamWeights(ctx, model, input, slice, [target], batchSize, forwards);
      await forwards.finish();
      await w.read();
      ms = performance.now() - t0;
      for (const t of [logits, act, slice, w]) t.release();
    }
    const rate = (channels * 1000) / ms;
    log(`scorecam bench: ${channels} masked forwards in ${(ms / 1000).toFixed(1)} s (${rate.toFixed(2)} forwards/s, ${(rate / plainRate).toFixed(2)} of the plain forward's)`);
    return {
      layer: 'layer4',
      size,
      batch_size: batchSize,
      masked_forwards: channels,
      subset: channels < 2048,
      ms,
      masked_forwards_per_s: rate,
      plain_batch_ms: plainMs,
      plain_forwards_per_s: plainRate,
      over_plain: rate / plainRate,
      what:
        channels < 2048
          ? `ScoreCAM's masked forwards for the first ${channels} channels of layer4 (mask range, masked inputs, forwards, scores, softmax), one image`
          : "Wgcam.explain method scorecam at layer4, target 'top', one image: every channel's masked forward, the map read back",
    };
  } finally {
    input.release();
    batchInput.release();
    model.destroy();
  }
}
