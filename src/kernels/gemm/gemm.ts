// A plain GEMM on the context's GEMM core: what the autotuner times, and the bench's roofline.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { gemmCore, gemmGroups, gemmTiles, resolveTiles, type GemmTiles } from './tiles.ts';
import source from './gemm.wgsl?raw';
import { params, shader } from '../wgsl.ts';

/** C = A B with A [M, K] and B [K, N], on `tiles` (default: what the context's GEMMs use). */
export function gemm(ctx: GpuContext, a: Tensor, b: Tensor, tiles?: GemmTiles): Tensor {
  const [m, k] = a.shape as [number, number];
  const [kb, n] = b.shape as [number, number];
  if (kb !== k) throw new Error(`gemm: A is [${m},${k}], B is [${kb},${n}]`);
  const t = tiles ? resolveTiles(tiles, m, n, k) : gemmTiles(ctx.kernels, m, n, k);
  const c = ctx.empty([m, n], 'f32', 'gemm');
  ctx.dispatch(
    ctx.pipeline(shader(gemmCore(t), source), 'gemm'),
    [ctx.uniform(params([m, n, k])), a, b, c],
    gemmGroups(t, m, n),
    `gemm ${m}x${n}x${k}`,
  );
  return c;
}
