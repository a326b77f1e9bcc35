// CPU time to encode one ResNet50 forward (from the call to the submit, before any GPU work), and where it
// goes: on a GPU that runs the forward in a few milliseconds, this is time the GPU waits through. For
// bench/NOTES.md. The context's methods are wrapped to time them; RUNS forwards (default 12), the first of
// which compiles the pipelines.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/encode_cost.ts
import { autotuneGemm } from '../../src/kernels/gemm/tuner.ts';
import { ResNet50 } from '../../src/model/resnet50.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
await autotuneGemm(ctx, { force: process.env.TILES ?? 'untiled-fit' });
const model = ResNet50.load(ctx, syntheticResNet50());
const input = ctx.upload(new Float32Array(3 * 224 * 224).map(() => Math.random()), [1, 3, 224, 224]);

const spent: Record<string, number> = {};
let dispatches = 0;
function timed(target: object, name: string, label: string): void {
  const host = target as Record<string, (...args: unknown[]) => unknown>;
  const original = host[name]!.bind(target);
  host[name] = (...args: unknown[]) => {
    const start = performance.now();
    try {
      return original(...args);
    } finally {
      spent[label] = (spent[label] ?? 0) + performance.now() - start;
      if (name === 'dispatch') dispatches++;
    }
  };
}
timed(ctx, 'dispatch', 'ctx.dispatch');
timed(ctx.device, 'createBindGroup', 'of which createBindGroup');
timed(ctx, 'uniform', 'ctx.uniform');
timed(ctx, 'pipeline', 'ctx.pipeline');
timed(ctx, 'empty', 'ctx.empty');

for (let r = 0; r < Number(process.env.RUNS ?? 12); r++) {
  for (const k of Object.keys(spent)) delete spent[k];
  dispatches = 0;
  const start = performance.now();
  const out = model.forward(input);
  const encoded = performance.now();
  await ctx.sync();
  const done = performance.now();
  const parts = Object.entries(spent).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ');
  console.log(`run ${r}: encode ${(encoded - start).toFixed(1)} ms for ${dispatches} dispatches (${parts} ms); submit to done ${(done - encoded).toFixed(0)} ms`);
  out.logits.release();
}
process.exit(0);
