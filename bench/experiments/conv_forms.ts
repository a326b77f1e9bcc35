// How long the conv form tuner (conv_form_tuner.ts) takes on this adapter, per windowed conv of
// ResNet50, cold (pipelines compiled) and warm, and what it chooses: `node --import tsx/esm --loader
// ./bin/wgsl-loader.mjs bench/experiments/conv_forms.ts` (RUNS: timed runs per form, default 2; ROUNDS: tunings).
import { autotuneConvForms, describeConvFormTuning } from './conv_form_tuner.ts';
import { autotuneGemm, describeGemmTuning } from '../../src/kernels/gemm/tuner.ts';
import { windowedConvs } from '../../src/model/architecture.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
console.log(`gemm tiles: ${describeGemmTuning(await autotuneGemm(ctx))}`);
const runs = Number(process.env.RUNS ?? 2);
for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) {
  for (const conv of windowedConvs()) {
    const start = performance.now();
    const t = await autotuneConvForms(ctx, [conv], { runs });
    const times = describeConvFormTuning(t).split('; ').slice(1).join('; ');
    console.log(`${conv.name} ${(performance.now() - start).toFixed(0)} ms: ${times}`);
  }
}
ctx.destroy();
