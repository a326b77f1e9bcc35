// FullGrad (pytorch-grad-cam's FullGrad, after Srinivas & Fleuret) on the GPU. Its layers are every batchnorm
// of ResNet50 (the library's default: every Conv2d or BatchNorm2d with a bias; ResNet50's convs have none), 53
// of them; the target layers a caller names are ignored, as the library ignores them.
//
// map = scale_cam_image(sum of: |x * dx| per input channel, and for every batchnorm the channel sum of
// |bias * G|), each of those min-max scaled per image and channel and resized to the input size first; bias is
// the batchnorm's folded bias beta - mean * gamma / sqrt(var + eps) (the eval-mode fold's shift) and G the
// gradient at the batchnorm's output. No ReLU and no second normalisation: FullGrad's aggregate_multi_layers
// is a plain sum and one scale_cam_image.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { parameterLayers } from '../model/architecture.ts';
import { add } from '../kernels/elementwise/add.ts';
import { camMinMaxNormalize } from '../kernels/cam/cam_minmax_normalize.ts';
import { camResizeBilinear } from '../kernels/cam/cam_resize_bilinear.ts';
import { fullGradChannelSum } from '../kernels/cam/fullgrad_saliency.ts';

/** The module paths whose output gradients FullGrad reads: ResNet50's batchnorms, in module order. */
export const FULLGRAD_LAYERS: readonly string[] = parameterLayers()
  .filter((l) => l.kind === 'batchnorm')
  .map((l) => l.name);

export interface FullGradLayer {
  /** [C]: the folded bias. */
  bias: Tensor;
  /** [N, C, h, w]: the gradient at the batchnorm's output. */
  grad: Tensor;
}

/** FullGrad's map [N, H, W] from the input [N, 3, H, W], its gradient, and every layer's bias and gradient. */
export function fullGradMap(ctx: GpuContext, input: Tensor, inputGrad: Tensor, layers: readonly FullGradLayer[]): Tensor {
  const [n, , height, width] = input.shape as [number, number, number, number];
  let total = ctx.empty([n, height, width], 'f32', 'fullgrad sum');
  fullGradChannelSum(ctx, { input }, inputGrad, total, false);
  // Layers of one spatial size share one sum, resized once (resizing is linear: the same as resizing each).
  const bySize = new Map<string, Tensor>();
  for (const { bias, grad } of layers) {
    const [, , h, w] = grad.shape as [number, number, number, number];
    const key = `${h}x${w}`;
    const sum = bySize.get(key);
    if (sum) {
      fullGradChannelSum(ctx, { bias }, grad, sum, true);
    } else {
      const fresh = ctx.empty([n, h, w], 'f32', `fullgrad ${key}`);
      fullGradChannelSum(ctx, { bias }, grad, fresh, false);
      bySize.set(key, fresh);
    }
  }
  for (const sum of bySize.values()) {
    const [, h, w] = sum.shape as [number, number, number];
    const resized = h === height && w === width ? sum.retain() : camResizeBilinear(ctx, sum, [height, width]);
    const next = add(ctx, total, resized);
    resized.release();
    sum.release();
    total.release();
    total = next;
  }
  const map = camMinMaxNormalize(ctx, total);
  total.release();
  return map;
}
