// Per-dispatch GPU time of the stem's input gradient (columns GEMM, then col2im), for bench/NOTES.md.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/stem_dx.ts
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { conv2dBackwardInput } from '../../src/kernels/conv/conv2d_backward_input.ts';

const ctx = await createNodeGpuContext();
const dy = ctx.upload(new Float32Array(64 * 112 * 112).fill(0.01), [1, 64, 112, 112]);
const w = ctx.upload(new Float32Array(64 * 3 * 49).fill(0.02), [64, 3, 7, 7]);
const perLabel = new Map<string, number[]>();
for (let r = 0; r < 6; r++) {
  ctx.setProfiling(true);
  conv2dBackwardInput(ctx, dy, w, [1, 3, 224, 224], { stride: 2, pad: 3 }).release();
  const timings = await ctx.collectTimings();
  ctx.setProfiling(false);
  if (r === 0) continue; // compilation
  for (const t of timings) perLabel.set(t.label, [...(perLabel.get(t.label) ?? []), t.ms]);
}
for (const [label, ms] of perLabel) console.log(`${label}: median ${[...ms].sort((a, b) => a - b)[ms.length >> 1]!.toFixed(1)} ms`);
process.exit(0);
