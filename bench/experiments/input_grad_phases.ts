// Per-phase GPU time of the direct input-gradient kernel (one dispatch per stride phase) on ResNet50's strided
// 3x3s, with each phase's taps: where a strided input gradient's time goes on the direct core. For bench/NOTES.md.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/input_grad_phases.ts
import { stridePhases } from '../../src/kernels/conv/geometry.ts';
import { conv2dInputGradWindow } from '../../src/kernels/software/conv2d_backward_input_window.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
for (const [channels, size] of [[128, 56], [256, 28], [512, 14]] as const) {
  const out = size / 2;
  const dy = ctx.upload(rand(channels * out * out), [1, channels, out, out]);
  const w = ctx.upload(rand(channels * channels * 9), [channels, channels, 3, 3]);
  const geometry = { inH: size, inW: size, outH: out, outW: out, kH: 3, kW: 3, stride: 2, pad: 1 };
  const phases = stridePhases(size, size, 3, 3, { stride: 2, pad: 1 });
  const perPhase = new Map<string, number[]>();
  for (let r = 0; r < 8; r++) {
    ctx.setProfiling(true);
    conv2dInputGradWindow(ctx, dy, w, [1, channels, size, size], geometry, phases).release();
    const timings = await ctx.collectTimings();
    ctx.setProfiling(false);
    if (r > 0) for (const t of timings) perPhase.set(t.label, [...(perPhase.get(t.label) ?? []), t.ms]);
  }
  for (const [label, ms] of perPhase) {
    const phase = phases.find((p) => label.endsWith(`phase ${p.PHASE_Y},${p.PHASE_X}`))!;
    const taps = phase.TAPS_Y * phase.TAPS_X;
    const median = [...ms].sort((a, b) => a - b)[ms.length >> 1]!;
    const gflops = (2 * channels * channels * phase.PHASE_H * phase.PHASE_W * taps) / (median * 1e6);
    console.log(`${label}: ${taps} taps, ${phase.PHASE_W} wide, median ${median.toFixed(1)} ms, ${gflops.toFixed(2)} GFLOP/s`);
  }
}
process.exit(0);
