// pytorch-grad-cam's get_2d_projection on the GPU: per image, the activations [C, h, w] as the (h*w) x C matrix
// M of pixels by channels, centred by each channel's mean over the pixels, projected on the first right singular
// vector v1 of M: projection = M v1, [h, w]. In place of the SVD, the top eigenvector of the Gram matrix on M's
// smaller side (M M^T or M^T M, whichever is smaller), found by power iteration, all in WGSL
// (kernels/cam/cam_eigen.ts).
//
// Orientation: a singular vector's sign is arbitrary; the library gets LAPACK's (numpy's gesdd), the fixtures
// hold both signs of each run, and the sign matters, since the CAM's ReLU keeps one side. wgcam picks, per image
// and layer, the sign LAPACK most often picks, so that several layers and images (whose signs LAPACK picks
// independently) agree with one run of the library: when the channels outnumber the pixels by 11/6 or more
// (gesdd's LQ path, where layer3 and layer4 usually are), the first pixel (top left) of the projection is
// negative; otherwise (its QR path) positive. Checked on ResNet50's activations and their gradient products
// (scripts/fixtures/eigen_sign.py): LAPACK agreed 54 times in 56 on the LQ path, 24 in 36 on the QR path.
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
  const [, channels, h, w] = x.shape as [number, number, number, number];
  const lqPath = channels >= Math.trunc(((h * w) * 11) / 6);
  const projection = camEigenProject(ctx, x, mean, pixelGram, vector, value, lqPath);
  for (const t of [mean, vector, value]) t.release();
  return projection;
}
