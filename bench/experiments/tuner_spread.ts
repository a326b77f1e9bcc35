// How steady the GEMM tuner's choice is on this adapter: TUNINGS (default 5) tunings in a row, each measured
// afresh (no store), and each one's choice, timings and duration; then one tuning product's single runs on
// `direct-fit` and `vec4-fit`, in a row and alternated, which shows the noise the tuner has to see through.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/tuner_spread.ts
import { gemm } from '../../src/kernels/gemm/gemm.ts';
import { autotuneGemm, describeGemmTuning, tuningRandom } from '../../src/kernels/gemm/tuner.ts';
import { GEMM_TILES } from '../../src/kernels/gemm/tiles.ts';
import { fastestRun } from '../../src/kernels/run_timing.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
for (let i = 0; i < Number(process.env.TUNINGS ?? 5); i++) {
  const start = performance.now();
  const tuning = await autotuneGemm(ctx, {});
  console.log(`${describeGemmTuning(tuning)} [${((performance.now() - start) / 1000).toFixed(1)} s]`);
}

const [rows, cols, depth] = [128, 784, 256]; // the first tuning product
const random = tuningRandom(1);
const a = ctx.upload(Float32Array.from({ length: rows * depth }, random), [rows, depth], 'f32', 'A');
const b = ctx.upload(Float32Array.from({ length: depth * cols }, random), [depth, cols], 'f32', 'B');
const direct = GEMM_TILES['untiled-fit']!;
const vec4 = GEMM_TILES['tiled-fit']!;
for (const tiles of [direct, vec4]) {
  const compiled = gemm(ctx, a, b, tiles); // the first run compiles the pipeline
  await ctx.read(compiled);
  compiled.release();
}
const single = (tiles: typeof direct) => fastestRun(ctx, 1, () => gemm(ctx, a, b, tiles));
const format = (ms: number[]) => ms.map((t) => t.toFixed(1)).join(' ');
for (let rep = 0; rep < 3; rep++) {
  const directRow: number[] = [];
  const vec4Row: number[] = [];
  const directAlternated: number[] = [];
  const vec4Alternated: number[] = [];
  for (let i = 0; i < 6; i++) directRow.push(await single(direct));
  for (let i = 0; i < 6; i++) vec4Row.push(await single(vec4));
  for (let i = 0; i < 6; i++) {
    directAlternated.push(await single(direct));
    vec4Alternated.push(await single(vec4));
  }
  console.log(`direct-fit in a row:  ${format(directRow)} ms\nvec4-fit in a row:    ${format(vec4Row)} ms`);
  console.log(`direct-fit alternated: ${format(directAlternated)} ms\nvec4-fit alternated:  ${format(vec4Alternated)} ms\n`);
}
a.release();
b.release();
ctx.destroy();
