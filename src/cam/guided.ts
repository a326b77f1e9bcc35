// Guided backpropagation and Guided Grad-CAM (pytorch-grad-cam's GuidedBackpropReLUModel, and its cam.py's
// deprocess_image(cam_mask * gb)). The gradient is of the sum over images of logits[n, target_n] with every ReLU's
// backward guided (src/model/tape.ts's GradRequest.guided); images are independent in eval mode, so each image's
// part is its own target's gradient, as the library computes it one image at a time.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { NUM_CLASSES } from '../model/architecture.ts';
import type { ResNet50 } from '../model/resnet50.ts';
import { Tape } from '../model/tape.ts';
import { camMultiply } from '../kernels/cam/cam_multiply.ts';
import { deprocessImage } from '../kernels/cam/deprocess_image.ts';

/** One-hot rows [N, 1000] at each image's target: the seed of a backward from the target scores. */
export function targetSeed(ctx: GpuContext, targets: readonly number[]): Tensor {
  const data = new Float32Array(targets.length * NUM_CLASSES);
  targets.forEach((t, n) => (data[n * NUM_CLASSES + t] = 1));
  return ctx.upload(data, [targets.length, NUM_CLASSES], 'f32', 'seed');
}

/** The guided input gradient [N, 3, H, W] of logits[n, targets[n]] (the caller releases it). */
export function guidedBackprop(model: ResNet50, input: Tensor, targets: readonly number[]): Tensor {
  const ctx = model.ctx;
  const tape = new Tape(ctx, { input: true, guided: true });
  const seed = targetSeed(ctx, targets);
  let logits: Tensor | null = null;
  try {
    logits = model.forward(input, { tape }).logits;
    const grads = tape.backward(logits, seed);
    return grads.input!;
  } finally {
    tape.dispose();
    seed.release();
    logits?.release();
  }
}

export interface GuidedPictures {
  /** [N, H, W, 3] uint8: deprocess_image(gb). */
  backprop: Uint8Array;
  /** [N, H, W, 3] uint8: deprocess_image(map * gb), the map [N, H, W] broadcast over channels. */
  gradcam: Uint8Array;
}

/** The two pictures of cam.py from the guided gradient gb [N, 3, H, W] and a CAM map [N, H, W]. */
export async function guidedPictures(ctx: GpuContext, gb: Tensor, map: Tensor): Promise<GuidedPictures> {
  const backprop = await deprocessImage(ctx, gb);
  const masked = camMultiply(ctx, gb, map);
  try {
    return { backprop, gradcam: await deprocessImage(ctx, masked) };
  } finally {
    masked.release();
  }
}
