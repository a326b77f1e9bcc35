// pytorch-grad-cam's get_2d_projection on the GPU: per image, the activations [C, h, w] as the (h*w) x C matrix
// M of pixels by channels, centred by each channel's mean over the pixels, projected on the first right singular
// vector v1 of M: projection = M v1, [h, w]. In place of the SVD, the top eigenvector of the Gram matrix on M's
// smaller side (M M^T or M^T M, whichever is smaller), found by power iteration, all in WGSL
// (kernels/cam/cam_eigen.ts).
//
// Orientation: a singular vector's sign is arbitrary (the library gets LAPACK's, and the fixtures hold both
// signs). wgcam orients each image's projection so that its entry of largest magnitude is positive: the
// region the component is most about is the one the CAM's ReLU keeps.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { camEigenGram, camEigenPower, camEigenProject } from '../kernels/cam/cam_eigen.ts';
import { globalAvgPool } from '../kernels/pool/global_avgpool.ts';

/** x [N, C, h, w] -> the projection on the first principal component [N, h, w] (not ReLU'd). */
export function firstPrincipalComponent(ctx: GpuContext, x: Tensor): Tensor {
  if (x.shape.length !== 4) throw new Error(`firstPrincipalComponent: x must be [N, C, h, w], got [${x.shape.join(',')}]`);
  const mean = globalAvgPool(ctx, x);
  const { gram, pixelGram } = camEigenGram(ctx, x, mean);
  const { vector, value } = camEigenPower(ctx, gram);
  gram.release();
  const projection = camEigenProject(ctx, x, mean, pixelGram, vector, value);
  for (const t of [mean, vector, value]) t.release();
  return projection;
}
