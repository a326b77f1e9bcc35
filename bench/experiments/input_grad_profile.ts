// Where the input gradient's time goes against the forward's, through the session API (what `wgcam bench`'s
// end-to-end tasks call): ROUNDS alternated rounds (default 3) of the wall clock of a forward (classify) and of a
// Grad-CAM at layer4 with the input gradient; then one profiled call of each, its GPU time (timestamp-query, one
// pass per dispatch) summed by kernel (the first word of each dispatch's label, `fwd`/`dx`/`dw` kept for convs),
// and the dispatch counts. For bench/NOTES.md, "Where the input gradient's time goes". Uses the tuning store.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/input_grad_profile.ts
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node ... (SwiftShader under Dawn)
import { benchInput } from '../core.ts';
import { Wgcam } from '../../src/session.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import type { KernelTiming } from '../../src/gpu/context.ts';

const rounds = Number(process.env.ROUNDS ?? 3);
const ctx = await createNodeGpuContext();
console.log(`${ctx.adapter.description}; ${rounds} rounds`);
const session = Wgcam.fromContext(ctx, syntheticResNet50());
const host = benchInput(1, 224);
const input = ctx.upload(host.data, host.shape, 'f32', 'input');
const tasks = {
  forward: () => session.classify(input, { topK: 5 }),
  input_grad: () => session.gradcam(input, { layers: ['layer4'], targets: 'top', inputGrad: true }),
};
type Task = keyof typeof tasks;

for (const t of Object.keys(tasks) as Task[]) await tasks[t](); // compile, tune
const walls: Record<Task, number[]> = { forward: [], input_grad: [] };
for (let r = 0; r < rounds; r++) {
  for (const t of Object.keys(tasks) as Task[]) {
    const t0 = performance.now();
    await tasks[t]();
    walls[t].push(performance.now() - t0);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** `conv2d dx 3x3/2 ...` -> `conv2d dx`; `col2im ...` -> `col2im`. */
function kernelOf(label: string): string {
  const words = label.split(' ');
  return /^(fwd|dx|dw|forward|backward|bwd)$/.test(words[1] ?? '') ? `${words[0]} ${words[1]}` : words[0]!;
}

const profiles: Partial<Record<Task, KernelTiming[]>> = {};
for (const t of Object.keys(tasks) as Task[]) {
  if (!ctx.setProfiling(true)) throw new Error('this adapter has no timestamp-query');
  await tasks[t]();
  profiles[t] = await ctx.collectTimings();
  ctx.setProfiling(false);
}
for (const t of Object.keys(tasks) as Task[]) {
  const timings = profiles[t]!;
  const total = timings.reduce((s, k) => s + k.ms, 0);
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const { label, ms } of timings) {
    const e = byKernel.get(kernelOf(label)) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    byKernel.set(kernelOf(label), e);
  }
  console.log(`\n${t}: wall median ${median(walls[t]).toFixed(0)} ms (${walls[t].map((w) => w.toFixed(0)).join(', ')}); profiled GPU sum ${total.toFixed(0)} ms over ${timings.length} dispatches`);
  for (const [k, { ms, n }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${k.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms ${String(n).padStart(4)} dispatches  ${((100 * ms) / total).toFixed(1).padStart(5)}%`);
  }
}
if (process.env.LABELS) for (const { label, ms } of profiles.input_grad!) console.log(`${ms.toFixed(2)}\t${label}`);
console.log(`\ninput_grad / forward (wall medians): ${(median(walls.input_grad) / median(walls.forward)).toFixed(2)}`);
input.release();
session.model.destroy();
ctx.destroy();
