// What Dawn's wait costs on this adapter: a 1024^3 GEMM (direct-fit) timed with the binding's ticks spinning
// (Node's setImmediate) and paced (dawn_pacing.ts), alternated ROUNDS times (default 6) in one process, with
// the wall clock, the whole process's CPU time and the JS thread's own CPU time (Linux: /proc) of each run,
// and how often the binding ticked.
//   WGCAM_DAWN_WAIT=spin node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/dawn_wait.ts
import { readFileSync } from 'node:fs';
import { gemm } from '../../src/kernels/gemm/gemm.ts';
import { tuningRandom } from '../../src/kernels/gemm/tuner.ts';
import { GEMM_TILES } from '../../src/kernels/gemm/tiles.ts';
import { isDawnTick, paceDawnTicks } from '../../src/node/software/dawn_pacing.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

/** The JS thread's user + system CPU time in ms (its task's clock ticks, 10 ms each). */
function jsThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// The context itself must not pace: this script switches pacing per run.
const ctx = await createNodeGpuContext({ dawnWait: 'spin' });
const n = 1024;
const random = tuningRandom(3);
const a = ctx.upload(Float32Array.from({ length: n * n }, random), [n, n], 'f32', 'A');
const b = ctx.upload(Float32Array.from({ length: n * n }, random), [n, n], 'f32', 'B');
const tiles = GEMM_TILES['untiled-fit']!;
const compiled = gemm(ctx, a, b, tiles);
await ctx.read(compiled);
compiled.release();

// Count the binding's ticks, then hand each call to the setImmediate the run installed (Node's, or the paced one).
let ticks = 0;
let current = globalThis.setImmediate;
const counting = function (this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]) {
  if (isDawnTick(callback)) ticks++;
  return Reflect.apply(current, this, [callback, ...args]);
};

async function run(paced: boolean): Promise<string> {
  const release = paced ? paceDawnTicks() : () => {};
  current = globalThis.setImmediate;
  globalThis.setImmediate = counting as unknown as typeof setImmediate;
  ticks = 0;
  const thread0 = jsThreadCpuMs();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  gemm(ctx, a, b, tiles).release();
  await ctx.sync();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const thread = jsThreadCpuMs() - thread0;
  globalThis.setImmediate = current;
  release();
  const mode = paced ? 'paced' : 'spin ';
  return `${mode} wall ${wall.toFixed(0)} ms, process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, JS thread ${thread} ms, ${ticks} ticks`;
}

for (let round = 0; round < Number(process.env.ROUNDS ?? 6); round++) {
  console.log(await run(false));
  console.log(await run(true));
}
a.release();
b.release();
ctx.destroy();
