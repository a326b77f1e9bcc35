// The two weight-gradient forms on the untiled core, for each ResNet50 conv the per-tap one fits (the 3x3s and
// the strided 1x1s: channels in multiples of 8): im2col + the split-K GEMM against one GEMM per tap
// (conv2d_backward_weight_per_tap.wgsl) over the plan's K slices, both with their split-K reduction, alternated,
// medians of RUNS (default 9) after a checked first run of each; ONLY (a substring of the conv names) limits them.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/weight_grad_forms.ts
import { conv2dBackwardWeight } from '../../src/kernels/conv/conv2d_backward_weight.ts';
import { planConv } from '../../src/kernels/conv/plan.ts';
import { splitKReduce } from '../../src/kernels/gemm/split_k_reduce.ts';
import { conv2dWeightGradDirect } from './conv2d_backward_weight_per_tap.ts';
import { autotuneGemm } from '../../src/kernels/gemm/tuner.ts';
import { windowedConvs } from '../../src/model/architecture.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
await autotuneGemm(ctx);
const runs = Number(process.env.RUNS ?? 9);
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const downsamples = [[256, 512, 56], [512, 1024, 28], [1024, 2048, 14]].map(([inC, outC, size]) => ({
  name: `downsample ${inC}->${outC}`, inChannels: inC!, outChannels: outC!, kernel: 1, stride: 2, pad: 0, inSize: size!,
}));
const fits = (c: { name: string; inChannels: number }) => c.inChannels % 8 === 0 && c.name.includes(process.env.ONLY ?? '');
for (const conv of [...windowedConvs(), ...downsamples].filter(fits)) {
  const { inChannels: inC, outChannels: outC, kernel: k, stride, pad, inSize: size } = conv;
  const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const geometry = { inH: size, inW: size, outH: out, outW: out, kH: k, kW: k, stride, pad };
  const plan = planConv(ctx.kernels, { batch: 1, inC, outC, inH: size, inW: size, kH: k, kW: k, stride, pad }, 'weightGrad');
  const x = ctx.upload(rand(inC * size * size), [1, inC, size, size]);
  const dy = ctx.upload(rand(outC * out * out), [1, outC, out, out]);
  const run = (perTap: boolean) => {
    if (!perTap) return conv2dBackwardWeight(ctx, dy, x, [outC, inC, k, k], { stride, pad });
    const partial = ctx.empty(plan.splits === 1 ? [outC, inC, k, k] : [plan.splits, outC, inC * k * k]);
    conv2dWeightGradDirect(ctx, dy, x, partial, geometry, plan.sliceK, plan.splits);
    if (plan.splits === 1) return partial;
    const dw = splitKReduce(ctx, partial, [outC, inC, k, k]);
    partial.release();
    return dw;
  };
  const first = [await run(false).read(), await run(true).read()];
  const differ = first[0]!.findIndex((v, i) => v !== first[1]![i]);
  const times: number[][] = [[], []];
  for (let r = 0; r < runs; r++) for (let i = 0; i < 2; i++) {
    const j = (i + r) % 2;
    ctx.setProfiling(true);
    run(j === 1).release();
    times[j]!.push((await ctx.collectTimings()).reduce((s, t) => s + t.ms, 0));
    ctx.setProfiling(false);
  }
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  const [gemm, direct] = times.map(median) as [number, number];
  console.log(`${conv.name} ${k}x${k}/${stride} ${inC}->${outC} at ${size}: gemm ${gemm.toFixed(1)} ms, per tap ${direct.toFixed(1)} ms (${(direct / gemm).toFixed(2)}), ${differ < 0 ? 'same bits' : `differ at ${differ}`}`);
  x.release();
  dy.release();
}
process.exit(0);
