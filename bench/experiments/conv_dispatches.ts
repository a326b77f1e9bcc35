// Per-dispatch GPU time of one conv's forward, input gradient and weight gradient on the context's tiles (the
// autotuner's choice): how a conv's time splits between im2col/col2im, the GEMM and split-K's reduction.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/conv_dispatches.ts
// Environment: CONV=inC,outC,kernel,stride,size (default the stem, 3,64,7,2,224); VK_ICD_FILENAMES for SwiftShader.
import { conv2d } from '../../src/kernels/conv/conv2d.ts';
import { conv2dBackwardInput } from '../../src/kernels/conv/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../../src/kernels/conv/conv2d_backward_weight.ts';
import { autotuneGemm, describeGemmTuning } from '../../src/kernels/gemm/tuner.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(describeGemmTuning(await autotuneGemm(ctx)));
const [inC, outC, kernel, stride, size] = (process.env.CONV ?? '3,64,7,2,224').split(',').map(Number) as [number, number, number, number, number];
const pad = kernel >> 1;
const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
const geom = { stride, pad };
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const x = ctx.upload(rand(inC * size * size), [1, inC, size, size]);
const w = ctx.upload(rand(outC * inC * kernel * kernel), [outC, inC, kernel, kernel]);
const dy = ctx.upload(rand(outC * out * out), [1, outC, out, out]);
const calls = {
  forward: () => conv2d(ctx, x, w, geom),
  'input gradient': () => conv2dBackwardInput(ctx, dy, w, [1, inC, size, size], geom),
  'weight gradient': () => conv2dBackwardWeight(ctx, dy, x, [outC, inC, kernel, kernel], geom),
};
for (const [name, call] of Object.entries(calls)) {
  const perLabel = new Map<string, number[]>();
  for (let r = 0; r < 6; r++) {
    ctx.setProfiling(true);
    call().release();
    const timings = await ctx.collectTimings();
    ctx.setProfiling(false);
    if (r === 0) continue; // compilation
    for (const t of timings) perLabel.set(t.label, [...(perLabel.get(t.label) ?? []), t.ms]);
  }
  const parts = [...perLabel].map(([label, ms]) => `${label} ${[...ms].sort((a, b) => a - b)[ms.length >> 1]!.toFixed(1)} ms`);
  console.log(`${name}: ${parts.join(', ')}`);
}
process.exit(0);
