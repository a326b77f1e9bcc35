// Dawn's speed toggles (src/node/gpu.ts, DAWN_SPEED_TOGGLES) against Dawn's defaults, in one process: two
// contexts on the same adapter, one from a Dawn instance with the toggles and one without, each with its own
// session; ROUNDS rounds (default 5), each timing the roofline GEMM (GPU timestamps, the fastest of 3 runs) and one
// call of forward, Grad-CAM at layer4 and the input gradient (wall clock) on both, the order of the two swapped
// every round. Prints the medians and on/off ratios. For bench/NOTES.md, "Dawn's toggles in Node".
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/dawn_toggles.ts
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node ... (SwiftShader under Dawn)
import { benchInput, benchPictures, timeCase } from '../core.ts';
import { gemmCase } from '../kernels.ts';
import { median } from '../accounting.ts';
import { Wgcam } from '../../src/session.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext, runtimeNotes } from '../../src/node/gpu.ts';

const rounds = Number(process.env.ROUNDS ?? 5);
const gemmSize = Number(process.env.GEMM ?? 1024);
const weights = syntheticResNet50();
const host = benchInput(1, 224);
const pictures = benchPictures(1, 224);

async function side(setting: 'on' | 'off') {
  const ctx = await createNodeGpuContext({ dawnToggles: setting });
  const session = Wgcam.fromContext(ctx, weights);
  const input = ctx.upload(host.data, host.shape, 'f32', 'input');
  const tasks = {
    forward: () => session.classify(input, { topK: 5 }),
    gradcam: () => session.gradcam(input, { layers: ['layer4'], targets: 'top', pictures }),
    input_grad: () => session.gradcam(input, { layers: ['layer4'], targets: 'top', inputGrad: true }),
  };
  return { setting, ctx, session, tasks };
}

const sides = [await side('off'), await side('on')];
console.log(sides[0]!.ctx.adapter.description);
for (const s of sides) console.log(`${s.setting}: ${runtimeNotes(s.ctx).find((n) => n.startsWith('Dawn toggles'))}`);
type Task = keyof (typeof sides)[0]['tasks'];
const taskNames = Object.keys(sides[0]!.tasks) as Task[];
// Compile and tune both before timing anything.
for (const s of sides) for (const t of taskNames) await s.tasks[t]();

const results: Record<string, Record<string, number[]>> = { off: {}, on: {} };
const push = (setting: string, key: string, ms: number) => (results[setting]![key] ??= []).push(ms);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? sides : [...sides].reverse();
  for (const s of order) {
    const g = await timeCase(s.ctx, gemmCase(gemmSize), 3, s.ctx.hasTimestamps ? 'gpu' : 'cpu');
    push(s.setting, `gemm ${gemmSize}^3 (GPU, fastest of 3)`, Math.min(...g.runs_ms));
  }
  for (const t of taskNames) {
    for (const s of order) {
      const t0 = performance.now();
      await s.tasks[t]();
      push(s.setting, t, performance.now() - t0);
    }
  }
  console.log(`round ${r + 1}: ${Object.keys(results.off!).map((k) => `${k} off ${results.off![k]!.at(-1)!.toFixed(0)} / on ${results.on![k]!.at(-1)!.toFixed(0)}`).join('; ')}`);
}
console.log(`\nmedians of ${rounds} (ms): what | off | on | on/off`);
for (const k of Object.keys(results.off!)) {
  const off = median(results.off![k]!);
  const on = median(results.on![k]!);
  console.log(`${k} | ${off.toFixed(1)} | ${on.toFixed(1)} | ${(on / off).toFixed(3)}`);
}
for (const s of sides) {
  s.session.model.destroy();
  s.ctx.destroy();
}
