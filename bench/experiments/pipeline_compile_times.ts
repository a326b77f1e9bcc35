// How long the adapter's compiler takes for each pipeline of the README's first job (one Grad-CAM at layer4,
// 224x224, with the overlay): the job is rehearsed (GpuContext.rehearse) and each of its pipelines is then
// dispatched alone, one workgroup on scratch buffers, twice; the first dispatch less the second is the compile
// (lavapipe compiles at the first dispatch; gpu/dispatch_warmup.ts, timeCompilesByDispatch). LAYERS picks other
// layers, INPUT_GRAD=1 adds the gradient at the input (every backward kernel), DUMP=folder writes the sources.
// Run with the driver's shader cache off:
//   MESA_SHADER_CACHE_DISABLE=true node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/pipeline_compile_times.ts
import { gradcamNow } from '../../src/cam/explain.ts';
import { warmUpEntries } from '../../src/gpu/context.ts';
import { timeCompilesByDispatch } from '../../src/gpu/dispatch_warmup.ts';
import { ResNet50 } from '../../src/model/resnet50.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
const model = ResNet50.load(ctx, syntheticResNet50());
const input = ctx.empty([1, 3, 224, 224], 'f32', 'rehearsal input');
const layers = (process.env.LAYERS ?? 'layer4').split(',');
const recorded = await ctx.rehearse(() =>
  gradcamNow(model, input, { layers, targets: 'top', inputGrad: process.env.INPUT_GRAD === '1', pictures: [new Uint8Array(224 * 224 * 3)] }),
);
const entries = warmUpEntries(recorded);
if (process.env.DUMP) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(process.env.DUMP, { recursive: true });
  entries.forEach((e, i) => writeFileSync(`${process.env.DUMP}/${String(i).padStart(2, '0')}-${e.label}.wgsl`, e.code));
}
const rows = (await timeCompilesByDispatch(ctx.device, entries)).map((t, i) => ({ ...t, chars: entries[i]!.code.length }));
rows.sort((a, b) => b.ms - a.ms);
for (const r of rows) console.log(`${r.ms.toFixed(0).padStart(6)} ms  ${r.label} (${r.chars} chars)`);
console.log(`${rows.length} pipelines, compile ${rows.reduce((sum, r) => sum + r.ms, 0).toFixed(0)} ms in all`);
ctx.destroy();
process.exit(0);
