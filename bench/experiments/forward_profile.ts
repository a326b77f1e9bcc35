// Where one ResNet50 forward's time goes on each GEMM core: per tile choice (TILES, default
// vec4-fit,direct-fit), alternated ROUNDS times (default 2), the wall clock of 3 unprofiled forwards, then one
// profiled forward's GPU time (timestamp-query, one pass per dispatch) summed by kernel, the first word of
// each dispatch's label. Conv forms are each kernel's default rule. Needs timestamp-query (lavapipe has it).
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/forward_profile.ts
import { autotuneGemm } from '../../src/kernels/gemm/tuner.ts';
import { ResNet50 } from '../../src/model/resnet50.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
const model = ResNet50.load(ctx, syntheticResNet50());
const input = ctx.upload(new Float32Array(3 * 224 * 224).map(() => Math.random() - 0.5), [1, 3, 224, 224]);
const tileChoices = (process.env.TILES ?? 'vec4-fit,direct-fit').split(',');

async function forwardMs(): Promise<number> {
  const start = performance.now();
  const out = model.forward(input);
  await ctx.read(out.logits);
  out.logits.release();
  return performance.now() - start;
}

for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) {
  for (const tiles of tileChoices) {
    await autotuneGemm(ctx, { force: tiles });
    await forwardMs(); // compiles this core's pipelines
    const walls = [await forwardMs(), await forwardMs(), await forwardMs()];
    if (!ctx.setProfiling(true)) throw new Error('this adapter has no timestamp-query');
    const out = model.forward(input);
    await ctx.sync();
    const timings = await ctx.collectTimings();
    ctx.setProfiling(false);
    out.logits.release();
    const byKernel = new Map<string, { ms: number; n: number }>();
    for (const { label, ms } of timings) {
      const kernel = label.split(' ')[0]!;
      const entry = byKernel.get(kernel) ?? { ms: 0, n: 0 };
      entry.ms += ms;
      entry.n++;
      byKernel.set(kernel, entry);
    }
    const total = timings.reduce((sum, t) => sum + t.ms, 0);
    const parts = [...byKernel].sort((x, y) => y[1].ms - x[1].ms).map(([k, { ms, n }]) => `${k} ${ms.toFixed(0)} (${n})`).join(', ');
    console.log(`${tiles}: wall ${walls.map((w) => w.toFixed(0)).join(' ')} ms; profiled GPU sum ${total.toFixed(0)} ms over ${timings.length} dispatches: ${parts}`);
  }
}
ctx.destroy();
