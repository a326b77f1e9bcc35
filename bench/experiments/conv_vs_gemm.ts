// Conv kernels against plain GEMMs of the same M x N x K on the same tiles: is a conv's gap to the roofline its
// conv-ness (index arithmetic, gathers) or its size? GPU timestamps, median of RUNS after one warm-up. For
// bench/NOTES.md.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/conv_vs_gemm.ts
// Environment: TILES=fit|default|direct (the context's tiles, default fit; direct: direct-fit); SHAPES=MxNxK,... (plain GEMMs only, instead
// of the conv list); TILE=tileK,threadsM,threadsN (vec4 tiles of that shape) or TILE=scalar for those GEMMs;
// RUNS (default 5); VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for SwiftShader.
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { configureKernels } from '../../src/kernels/config.ts';
import { conv2d } from '../../src/kernels/conv/conv2d.ts';
import { gemm } from '../../src/kernels/gemm/gemm.ts';
import { UNTILED_FIT_TILES, FIT_TILES, DEFAULT_TILES, type GemmTiles } from '../../src/kernels/gemm/tiles.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';

const ctx = await createNodeGpuContext();
const tilesName = process.env.TILES ?? 'fit';
const tiles: GemmTiles = { fit: FIT_TILES, default: DEFAULT_TILES, direct: UNTILED_FIT_TILES }[tilesName] ?? DEFAULT_TILES;
configureKernels(ctx, { tiles: tiles });
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const RUNS = Number(process.env.RUNS ?? 5);

async function time(label: string, flop: number, run: () => Tensor): Promise<void> {
  const ms: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    ctx.setProfiling(true);
    run().release();
    const t = await ctx.collectTimings();
    ctx.setProfiling(false);
    if (r > 0) ms.push(t.reduce((s, x) => s + x.ms, 0));
  }
  const med = [...ms].sort((a, b) => a - b)[ms.length >> 1]!;
  console.log(`${label.padEnd(44)} ${med.toFixed(1).padStart(7)} ms ${(flop / med / 1e6).toFixed(2).padStart(6)} GFLOP/s`);
}

function forcedTiles(): GemmTiles | undefined {
  const spec = process.env.TILE;
  if (spec === undefined) return undefined;
    const [tileK, threadsM, threadsN] = spec.split(',').map(Number) as [number, number, number];
  return { core: 'tiled', tileK, threadsM, threadsN, tileM: 8 * threadsM, tileN: 8 * threadsN };
}

const gemmOf = async (m: number, n: number, k: number) => {
  const a = ctx.upload(rand(m * k), [m, k]);
  const b = ctx.upload(rand(k * n), [k, n]);
  const forced = forcedTiles();
  await time(`gemm ${m}x${n}x${k}${forced ? ` tiles ${process.env.TILE}` : ''}`, 2 * m * n * k, () => gemm(ctx, a, b, forced));
  a.release();
  b.release();
};
const convOf = async (inC: number, outC: number, kernel: number, stride: number, size: number) => {
  const pad = kernel >> 1;
  const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
  const x = ctx.upload(rand(inC * size * size), [1, inC, size, size]);
  const w = ctx.upload(rand(outC * inC * kernel * kernel), [outC, inC, kernel, kernel]);
  const flop = 2 * outC * out * out * inC * kernel * kernel;
  await time(`conv fwd ${kernel}x${kernel}/${stride} ${inC}->${outC} ${size}`, flop, () => conv2d(ctx, x, w, { stride, pad }));
  x.release();
  w.release();
  await gemmOf(outC, out * out, inC * kernel * kernel);
};
console.log(`tiles ${tilesName}`);
if (process.env.SHAPES) {
  for (const shape of process.env.SHAPES.split(',')) {
    const [m, n, k] = shape.split('x').map(Number) as [number, number, number];
    await gemmOf(m, n, k);
  }
  process.exit(0);
}
await gemmOf(1024, 1024, 1024);
await gemmOf(512, 512, 512);
await convOf(1024, 256, 1, 1, 14);
await convOf(1024, 2048, 1, 2, 14);
await convOf(64, 64, 3, 1, 56);
await convOf(128, 128, 3, 2, 56);
await convOf(512, 512, 3, 1, 7);
await convOf(256, 64, 1, 1, 56);
process.exit(0);
