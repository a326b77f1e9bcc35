// The conv input gradient with its fused epilogue / dy scale against the separate passes they replaced, on
// ResNet50's shapes at batch 1, alternating in one process: GPU time per variant (timestamp-query, the sum of
// its dispatches), medians of ROUNDS x 3, and the relative L2 difference of their results. For bench/NOTES.md,
// "Input gradient: the backward's elementwise passes fused into the conv input gradients".
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/input_grad_fusion.ts
// VK_ICD_FILENAMES for SwiftShader. Kinds: `mask` (the ReLU mask and batchnorm scale of the op before the conv,
// as conv1/conv2's outputs get them), `branch` (a branch sum and the ReLU mask: a block's input), `dyscale`
// (the conv's own batchnorm scale on dy: conv3 and downsample).
import type { Tensor } from '../../src/gpu/tensor.ts';
import { conv2dBackwardInput } from '../../src/kernels/conv/conv2d_backward_input.ts';
import { add } from '../../src/kernels/elementwise/add.ts';
import { reluBackward } from '../../src/kernels/elementwise/relu_backward.ts';
import { batchnormScaleBackward } from '../../src/kernels/norm/batchnorm_backward.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
const rounds = Number(process.env.ROUNDS ?? 3);
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
// name: kind, inC, outC, kernel, stride, input size
const CASES: Array<[string, 'mask' | 'branch' | 'dyscale', number, number, number, number, number]> = [
  ['layer1 conv2 3x3', 'mask', 64, 64, 3, 1, 56],
  ['layer2.0 conv2 3x3/2', 'mask', 128, 128, 3, 2, 56],
  ['layer1 conv3 1x1', 'mask', 64, 256, 1, 1, 56],
  ['layer3 conv3 1x1', 'mask', 256, 1024, 1, 1, 14],
  ['layer1 conv1 1x1', 'branch', 256, 64, 1, 1, 56],
  ['layer3 conv1 1x1', 'branch', 1024, 256, 1, 1, 14],
  ['layer1 conv3 1x1 (own scale)', 'dyscale', 64, 256, 1, 1, 56],
  ['layer3 conv3 1x1 (own scale)', 'dyscale', 256, 1024, 1, 1, 14],
  ['layer4 conv3 1x1 (own scale)', 'dyscale', 512, 2048, 1, 1, 7],
  ['layer3.0 downsample 1x1/2 (own scale)', 'dyscale', 512, 1024, 1, 2, 28],
];
for (const [name, kind, inC, outC, k, stride, size] of CASES) {
  const pad = k >> 1;
  const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const xShape = [1, inC, size, size] as const;
  const geom = { stride, pad };
  const dy = ctx.upload(rand(outC * out * out), [1, outC, out, out]);
  const w = ctx.upload(rand(outC * inC * k * k), [outC, inC, k, k]);
  const x = ctx.upload(rand(inC * size * size).map((v) => Math.max(v, 0)), xShape); // the ReLU output before the conv
  const other = ctx.upload(rand(inC * size * size), xShape); // the block input's other gradient
  const inScale = ctx.upload(rand(inC).map((v) => 1 + v), [inC]);
  const outScale = ctx.upload(rand(outC).map((v) => 1 + v), [outC]);
  const variants: Record<string, () => Tensor> = {
    separate: () => {
      if (kind === 'dyscale') {
        const scaled = batchnormScaleBackward(ctx, dy, outScale);
        const dx = conv2dBackwardInput(ctx, scaled, w, xShape, geom);
        scaled.release();
        return dx;
      }
      const dx = conv2dBackwardInput(ctx, dy, w, xShape, geom);
      if (kind === 'mask') {
        const g = batchnormScaleBackward(ctx, dx, inScale, x);
        dx.release();
        return g;
      }
      const sum = add(ctx, other, dx);
      dx.release();
      const g = reluBackward(ctx, sum, x);
      sum.release();
      return g;
    },
    fused: () => {
      if (kind === 'dyscale') return conv2dBackwardInput(ctx, dy, w, xShape, geom, { dyScale: outScale });
      if (kind === 'mask') return conv2dBackwardInput(ctx, dy, w, xShape, geom, { epilogue: { reluOutput: x, scale: inScale } });
      return conv2dBackwardInput(ctx, dy, w, xShape, geom, { epilogue: { addend: other, reluOutput: x } });
    },
  };
  const times: Record<string, number[]> = { separate: [], fused: [] };
  const results: Record<string, Float32Array> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [v, run] of Object.entries(variants)) {
      for (let r = 0; r < 4; r++) {
        ctx.setProfiling(true);
        const dx = run();
        const timings = await ctx.collectTimings();
        ctx.setProfiling(false);
        if (r === 3) results[v] = await ctx.read(dx);
        dx.release();
        if (r > 0) times[v]!.push(timings.reduce((sum, t) => sum + t.ms, 0)); // the first compiles
      }
    }
  }
  let num = 0;
  let den = 0;
  results.separate!.forEach((v, i) => {
    num += (v - results.fused![i]!) ** 2;
    den += v * v;
  });
  const [s, f] = [median(times.separate!), median(times.fused!)];
  console.log(`${name} (${kind}): separate ${s.toFixed(2)} ms, fused ${f.toFixed(2)} ms, fused/separate ${(f / s).toFixed(2)} (relative L2 difference ${Math.sqrt(num / den).toExponential(1)})`);
  for (const t of [dy, w, x, other, inScale, outScale]) t.release();
}
ctx.destroy();
process.exit(0);
