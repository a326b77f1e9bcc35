// How long the adapter's compiler takes for each pipeline of the README's first job (one Grad-CAM at layer4,
// 224x224, with the overlay): the job is rehearsed (GpuContext.compileAhead) and each of its pipelines is then
// dispatched alone, one workgroup on scratch buffers, twice; the first dispatch's wall clock less the second's
// is the compile (lavapipe compiles at the first dispatch). LAYERS picks other layers, INPUT_GRAD=1 adds the
// gradient at the input (every backward kernel). Run with the driver's shader cache off:
//   MESA_SHADER_CACHE_DISABLE=true node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/pipeline_compile_times.ts
import { warmUpByDispatch, type WarmUpEntry } from '../../src/gpu/dispatch_warmup.ts';
import { configureKernels } from '../../src/kernels/config.ts';
import { gradcamNow } from '../../src/cam/explain.ts';
import { ResNet50 } from '../../src/model/resnet50.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
configureKernels(ctx, { compileAhead: 'create' });
const model = ResNet50.load(ctx, syntheticResNet50());
const input = ctx.empty([1, 3, 224, 224], 'f32', 'rehearsal input');
let entries: readonly WarmUpEntry[] = [];
const layers = (process.env.LAYERS ?? 'layer4').split(',');
const { compiled } = await ctx.compileAhead(() => gradcamNow(model, input, { layers, targets: 'top', inputGrad: process.env.INPUT_GRAD === '1', pictures: [new Uint8Array(224 * 224 * 3)] }), {
  recorded: (e) => (entries = e),
});
await compiled;
if (process.env.DUMP) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(process.env.DUMP, { recursive: true });
  entries.forEach((e, i) => writeFileSync(`${process.env.DUMP}/${String(i).padStart(2, '0')}-${e.label}.wgsl`, e.code));
}

const rows: Array<{ label: string; chars: number; first: number; second: number }> = [];
for (const e of entries) {
  const times: number[] = [];
  const module = ctx.device.createShaderModule({ code: e.code, label: e.label });
  const made = new Map([[e.code, ctx.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: e.label })]]);
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    await warmUpByDispatch(ctx.device, [e], made);
    times.push(performance.now() - t0);
  }
  rows.push({ label: e.label, chars: e.code.length, first: times[0]!, second: times[1]! });
}
rows.sort((a, b) => b.first - b.second - (a.first - a.second));
let total = 0;
for (const r of rows) {
  total += r.first - r.second;
  console.log(`${(r.first - r.second).toFixed(0).padStart(6)} ms  ${r.label} (${r.chars} chars; second dispatch ${r.second.toFixed(0)} ms)`);
}
console.log(`${rows.length} pipelines, compile ${total.toFixed(0)} ms in all`);
ctx.destroy();
process.exit(0);
