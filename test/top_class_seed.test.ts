// The GPU's top-class seed for Grad-CAM against topK on the CPU (session.ts), ties and NaNs included.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { topClassSeed } from '../src/kernels/reduce/top_class_seed.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { topK } from '../src/session.ts';
import * as ref from './reference/ops.ts';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
});
afterAll(() => ctx?.destroy());

test('one-hot of each row’s first largest logit, as topK picks it', async () => {
  const classes = 1000;
  const rng = ref.mulberry32(7);
  const rows = 5;
  const logits = Float32Array.from(ref.randn(rows * classes, rng));
  // Row 1: a tie between classes 700 and 3 (3 wins); row 2: the largest at the last class; row 3: NaNs besides
  // the largest at 65 (never the top); row 4: a tie across threads' strides (129 and 1, 1 wins).
  logits[classes + 700] = 9;
  logits[classes + 3] = 9;
  logits[2 * classes + classes - 1] = 9;
  logits[3 * classes + 65] = 9;
  logits[3 * classes + 10] = NaN;
  logits[3 * classes + 999] = NaN;
  logits[4 * classes + 129] = 9;
  logits[4 * classes + 1] = 9;
  // topK's sort has no order for NaN, so row 3 is checked by its known answer.
  const host = { shape: [rows, classes], data: logits };
  const want = topK(host, host, 1).map((p, n) => (n === 3 ? 65 : p[0]!.index));
  expect(want.slice(1)).toEqual([3, 999, 65, 1]);
  const input = ctx.upload(logits, [rows, classes]);
  const { seed, targets } = topClassSeed(ctx, input);
  const [seedHost, targetHost] = await ctx.readMany([seed, targets]);
  expect(Array.from(targetHost!)).toEqual(want);
  for (let n = 0; n < rows; n++) {
    const row = seedHost!.subarray(n * classes, (n + 1) * classes);
    expect(row.reduce((a, b) => a + b, 0)).toBe(1);
    expect(row[want[n]!]).toBe(1);
  }
  for (const t of [input, seed, targets]) t.release();
});
