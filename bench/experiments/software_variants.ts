// Each software-adapter variant against the plain path, on whole tasks, alternated in one process: every round
// runs every variant's tasks once, in a turning order, after a round that compiles them all. The plain path is
// the adapter class's priors (src/kernels/config.ts); each variant changes one field of the KernelConfig.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/software_variants.ts [ROUNDS]
// VARIANTS=a,b (names below) picks some; TASKS=forward,input_grad,train_step picks the tasks (the train step
// runs for the plain path only, as no variant here changes a weight gradient). Results: bench/NOTES.md,
// "Software-adapter variants".
import { configureKernels, priorConfig } from '../../src/kernels/config.ts';
import { GEMM_TILES } from '../../src/kernels/gemm/tiles.ts';
import { parameterNames } from '../../src/model/architecture.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { loadWeightsNode } from '../../src/node/weights_node.ts';
import { Wgcam } from '../../src/session.ts';
import { benchInput } from '../core.ts';

const rounds = Number(process.argv[2] ?? 3);
const ctx = await createNodeGpuContext();
const { weights } = await loadWeightsNode('synthetic');
const session = Wgcam.fromContext(ctx, weights, undefined, { tuning: false });
const host = benchInput(1, 224);
const input = ctx.upload(host.data, host.shape, 'f32', 'input');
const params = parameterNames();
const plain = priorConfig(ctx.adapter);

const VARIANTS: Record<string, () => void> = {
  plain: () => void (ctx.kernels = plain),
  'tiled core (tiled-fit)': () => void (ctx.kernels = { ...plain, tiles: GEMM_TILES['tiled-fit']! }),
  'no window forward': () => void (ctx.kernels = { ...plain, windows: { ...plain.windows, forward: 'none' } }),
  'no window input grad': () => void (ctx.kernels = { ...plain, windows: { ...plain.windows, inputGrad: 'none' } }),
  'other reductions': () => void (ctx.kernels = { ...plain, reductions: plain.reductions === 'tree' ? 'serial' : 'tree' }),
};
const picked = (process.env.VARIANTS ?? Object.keys(VARIANTS).join(',')).split(',');
const TASKS: Record<string, () => Promise<unknown>> = {
  forward: () => session.classify(input, { topK: 5 }),
  input_grad: () => session.gradcam(input, { layers: ['layer4'], targets: 'top', inputGrad: true }),
  train_step: () => session.trainStep(input, [0], { params, inputGrad: false }),
};
const tasks = (process.env.TASKS ?? 'forward,input_grad').split(',');
const runsTask = (variant: string, task: string) => task !== 'train_step' || variant === 'plain';

const times: Record<string, Record<string, number[]>> = {};
console.log(`${ctx.adapter.description}; ${rounds} rounds`);
for (let round = 0; round <= rounds; round++) {
  const order = picked.map((_, i) => picked[(i + round) % picked.length]!);
  for (const variant of order) {
    VARIANTS[variant]!();
    for (const task of tasks) {
      if (!runsTask(variant, task)) continue;
      const t0 = performance.now();
      await TASKS[task]!();
      const ms = performance.now() - t0;
      if (round === 0) continue; // compiles
      ((times[variant] ??= {})[task] ??= []).push(ms);
      console.log(`round ${round} ${variant} ${task} ${ms.toFixed(0)} ms`);
    }
  }
}
configureKernels(ctx, plain);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nvariant | ${tasks.join(' | ')} (median ms; ratio to plain; runs)`);
for (const variant of picked) {
  const cells = tasks.map((task) => {
    const xs = times[variant]?.[task];
    if (!xs) return '-';
    const base = median(times.plain![task]!);
    return `${median(xs).toFixed(0)} (${(median(xs) / base).toFixed(2)}) [${xs.map((x) => x.toFixed(0)).join(' ')}]`;
  });
  console.log(`${variant} | ${cells.join(' | ')}`);
}
input.release();
session.destroy();
