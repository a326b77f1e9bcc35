// How long the adapter takes to compile a conv pipeline: the first dispatch of each shape against a second one,
// wall clock around queue completion. Tiles from VARIANTS (JSON name -> GemmTiles), default the 64x64 tiles.
//   MESA_SHADER_CACHE_DISABLE=true node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/compile_time.ts
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { configureKernels } from '../../src/kernels/config.ts';
import { conv2d } from '../../src/kernels/conv/conv2d.ts';
import { DEFAULT_TILES, type GemmTiles } from '../../src/kernels/gemm/tiles.ts';

const ctx = await createNodeGpuContext();
const shapes: Array<[number, number, number, number]> = [
  // inC, outC, size, kernel
  [256, 256, 14, 3], [1024, 256, 14, 1], [512, 512, 7, 3], [64, 64, 56, 3],
];
const variants: Record<string, GemmTiles> = process.env.VARIANTS ? JSON.parse(process.env.VARIANTS) : { 'tiled-64x64': DEFAULT_TILES };
for (const [name, tiles] of Object.entries(variants)) {
  configureKernels(ctx, { tiles: tiles });
  for (const [inC, outC, size, k] of shapes) {
    const x = ctx.upload(new Float32Array(inC * size * size).fill(0.5), [1, inC, size, size], 'f32', 'x');
    const w = ctx.upload(new Float32Array(outC * inC * k * k).fill(0.01), [outC, inC, k, k], 'f32', 'w');
    const times: number[] = [];
    for (let r = 0; r < 2; r++) {
      const t0 = performance.now();
      conv2d(ctx, x, w, { stride: 1, pad: (k - 1) / 2 }).release();
      await ctx.sync();
      times.push(performance.now() - t0);
    }
    console.log(`${name} ${k}x${k} ${inC}->${outC} ${size}x${size}: first ${times[0]!.toFixed(0)} ms, second ${times[1]!.toFixed(0)} ms`);
    x.release(); w.release();
  }
}
process.exit(0);
