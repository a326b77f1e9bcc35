// The roofline kernel: bench/gemm.wgsl assembled with the shared GEMM core and the tiles the conv kernels use.
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { chooseTiles, gemmGroups, tileConstants } from '../src/kernels/gemm_config.ts';
import gemmTile from '../src/kernels/shared/gemm_tile.wgsl?raw';
import { params, shader } from '../src/kernels/wgsl.ts';
import source from './gemm.wgsl?raw';

/** C = A B with A [M, K] and B [K, N]. */
export function gemm(ctx: GpuContext, a: Tensor, b: Tensor): Tensor {
  const [m, k] = a.shape as [number, number];
  const [kb, n] = b.shape as [number, number];
  if (kb !== k) throw new Error(`gemm: A is [${m},${k}], B is [${kb},${n}]`);
  const tiles = chooseTiles(m, n);
  const c = ctx.empty([m, n], 'f32', 'gemm');
  ctx.dispatch(
    ctx.pipeline(shader(tileConstants(tiles), source, gemmTile), 'bench gemm'),
    [ctx.uniform(params([m, n, k])), a, b, c],
    gemmGroups(tiles, m, n),
    `gemm ${m}x${n}x${k}`,
  );
  return c;
}
