// The stem's forward (7x7/2, 3->64, 224x224) on the direct core, per-dispatch GPU time, alternated: the direct
// kernel (phase order, shared/phase_order.wgsl), the GEMM form (im2col + GEMM, same order; checked bit for bit
// against the direct kernel), and, for comparison, the direct kernel at stride 1 on a space-to-depth input
// (4x4 over 12 channels at 115x115, a quarter of its taps 0).
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/stem_forward.ts   (ROUNDS, default 16)
import { conv2d } from '../../src/kernels/conv/conv2d.ts';
import { conv2dWindow } from '../../src/kernels/software/conv2d_window.ts';
import { autotuneGemm } from '../../src/kernels/gemm/tuner.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { configureKernels } from '../../src/kernels/config.ts';

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
await autotuneGemm(ctx);
const x = ctx.upload(Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), [1, 3, 224, 224]);
const w = ctx.upload(Float32Array.from({ length: 64 * 3 * 49 }, (_, i) => Math.cos(i * 0.11)), [64, 3, 7, 7]);
const spaceToDepth = ctx.upload(new Float32Array(12 * 115 * 115).fill(0.01), [1, 12, 115, 115]);
const spaceToDepthWeights = ctx.upload(new Float32Array(64 * 12 * 16).fill(0.02), [64, 12, 4, 4]);
const stemShape = { inC: 3, outC: 64, kH: 7, kW: 7, stride: 2, pad: 3 };
const stem = (direct: boolean) => {
  configureKernels(ctx, { windows: { forward: (direct) ? 'all' : 'none' } });
  return conv2d(ctx, x, w, { stride: 2, pad: 3 });
};
const s2dGeometry = { inH: 115, inW: 115, outH: 112, outW: 112, kH: 4, kW: 4, stride: 1, pad: 0 };
const direct = await stem(true).read();
const gemm = await stem(false).read();
console.log(`direct and GEMM forms agree bit for bit: ${direct.every((v, i) => Object.is(v, gemm[i]))}`);
const forms: [string, () => { release(): void }][] = [
  ['direct', () => stem(true)],
  ['im2col + GEMM', () => stem(false)],
  ['space to depth, direct at stride 1', () => conv2dWindow(ctx, spaceToDepth, spaceToDepthWeights, s2dGeometry, {})],
];
const times: number[][] = forms.map(() => []);
for (let r = 0; r < Number(process.env.ROUNDS ?? 16); r++) {
  for (let k = 0; k < forms.length; k++) {
    const i = (k + r) % forms.length;
    ctx.setProfiling(true);
    forms[i]![1]().release();
    const timings = await ctx.collectTimings();
    ctx.setProfiling(false);
    if (r > 0) times[i]!.push(timings.reduce((sum, t) => sum + t.ms, 0));
  }
}
forms.forEach(([name], i) => {
  const sorted = [...times[i]!].sort((a, b) => a - b);
  console.log(`${name}: median ${sorted[sorted.length >> 1]!.toFixed(1)} ms, fastest ${sorted[0]!.toFixed(1)} ms`);
});
process.exit(0);
