// The first principal component on the GPU (get_2d_projection, see src/cam/eigen.ts): the Gram matrix of the
// centred pixels-by-channels matrix on its smaller side (cam_eigen_gram), its top eigenvector by power
// iteration (cam_eigen_power), then the projection, oriented (cam_eigen_project).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import centred from './cam_eigen_centred.wgsl?raw';
import gramSource from './cam_eigen_gram.wgsl?raw';
import powerSource from './cam_eigen_power.wgsl?raw';
import projectSource from './cam_eigen_project.wgsl?raw';
import { reductionThreads, workgroupReduce } from '../launch.ts';
import { constants, params, shader } from '../wgsl.ts';

/**
 * Power iteration stops when no entry of the unit vector moves by more than this (f32 rounding of K v alone
 * moves entries by about 1e-7 for a few hundred terms, so a tighter bound would run to the cap), or after
 * MAX_ITERATIONS.
 */
const TOLERANCE = 1e-6;
const MAX_ITERATIONS = 2000;

export interface EigenGram {
  /** [N, size, size]. */
  gram: Tensor;
  /** True: size = h*w (K = M M^T); false: size = C (K = M^T M). */
  pixelGram: boolean;
}

/** x [N, C, h, w], mean [N, C] (over the pixels) -> the Gram matrix of the centred matrix on its smaller side. */
export function camEigenGram(ctx: GpuContext, x: Tensor, mean: Tensor): EigenGram {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const area = h * w;
  const pixelGram = area <= c;
  const size = pixelGram ? area : c;
  const tilesPerSide = Math.ceil(size / 16);
  const gram = ctx.empty([n, size, size], 'f32', 'eigen gram');
  ctx.dispatch(
    ctx.pipeline(shader(constants({ PIXEL_GRAM: pixelGram }), centred, gramSource), 'cam_eigen_gram'),
    [ctx.uniform(params([n, c, area, size, pixelGram ? c : area, tilesPerSide])), x, mean, gram],
    [n * tilesPerSide * tilesPerSide],
    `eigen gram ${size}x${size}`,
  );
  return { gram, pixelGram };
}

/** The top eigenvector [N, size] (unit length) and eigenvalue [N] of each symmetric PSD gram [N, size, size]. */
export function camEigenPower(ctx: GpuContext, gram: Tensor): { vector: Tensor; value: Tensor } {
  const [n, size] = gram.shape as [number, number, number];
  const vector = ctx.empty([n, size], 'f32', 'eigen vector');
  const scratch = ctx.empty([n, size], 'f32', 'eigen scratch');
  const value = ctx.empty([n], 'f32', 'eigen value');
  ctx.dispatch(
    ctx.pipeline(
      shader(constants({ MAX_ITERATIONS, TOLERANCE: { f32: TOLERANCE } }), workgroupReduce(ctx, size * size), powerSource),
      'cam_eigen_power',
    ),
    [ctx.uniform(params([n, size])), gram, vector, scratch, value],
    [n],
    `eigen power ${size}`,
  );
  scratch.release();
  return { vector, value };
}

/**
 * projection [N, h, w] = the centred matrix times its first right singular vector, oriented so that the first
 * pixel's value is negative (`firstNegative`) or positive.
 */
export function camEigenProject(ctx: GpuContext, x: Tensor, mean: Tensor, pixelGram: boolean, vector: Tensor, value: Tensor, firstNegative: boolean): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const projection = ctx.empty([n, h, w], 'f32', 'eigen projection');
  const threads = ctx.kernels.reductions === 'serial' ? 1 : reductionThreads(h * w);
  ctx.dispatch(
    ctx.pipeline(shader(constants({ PIXEL_GRAM: pixelGram, FIRST_NEGATIVE: firstNegative, PROJECT_THREADS: threads }), centred, projectSource), 'cam_eigen_project'),
    [ctx.uniform(params([n, c, h * w, vector.shape[1]!])), x, mean, vector, value, projection],
    [n],
    `eigen project ${h}x${w}`,
  );
  return projection;
}
