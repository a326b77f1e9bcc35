// Does a train step leave GPU memory or time behind it? Runs the synthetic ResNet50's train step repeatedly
// (all parameter gradients read back, as the bench's train_step task does) and prints each call's time with
// the pool's live and pooled bytes and the JS heap. An H200 run showed train_step times rising from 261 to
// 414 ms over 15 calls (bench/NOTES.md). Usage: node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/train_step_drift.ts [calls] [size]
import { Wgcam } from '../../src/session.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { parameterNames } from '../../src/model/architecture.ts';

const calls = Number(process.argv[2] ?? 6);
const size = Number(process.argv[3] ?? 64);
const ctx = await createNodeGpuContext();
const session = Wgcam.fromContext(ctx, syntheticResNet50(), undefined, { tuning: false });
const input = ctx.upload(Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i)), [1, 3, size, size]);
const params = parameterNames();
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  await session.trainStep(input, [7], { params, inputGrad: false });
  const ms = performance.now() - t0;
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`call ${i}: ${ms.toFixed(0)} ms, live ${mib(ctx.pool.liveBytes)} MiB, pooled ${mib(ctx.pool.pooledBytes)} MiB, heap ${mib(process.memoryUsage().heapUsed)} MiB, rss ${mib(process.memoryUsage().rss)} MiB`);
}
