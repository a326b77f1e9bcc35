// AblationCAM's channel weights (pytorch-grad-cam's AblationCAM.get_cam_weights with its AblationLayer), all on
// the GPU: for each channel k of the target layer's output, that output with channel k ablated runs through the
// rest of the network only (ResNet50.forwardFrom), in batches; w_k = (y - y_k) / y with y the unablated score.
// The ablation value is 0 when the image's minimum activation is exactly 0, otherwise the library's
// min - 1e7 per copy, cascading within a batch (kernels/cam/ablation_batch.wgsl), so that case depends on the
// batch size as the library's does.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { ablationBatch } from '../../kernels/cam/ablation_batch.ts';
import { ablationWeights } from '../../kernels/cam/ablation_weights.ts';
import { camImageMin } from '../../kernels/cam/cam_image_min.ts';
import { camTargetScores } from '../../kernels/cam/cam_target_scores.ts';
import { blockInputPath, type ResNet50 } from '../../model/resnet50.ts';
import { DEFAULT_BATCH_SIZE, checkSpatialLayer, methodForwards, type MaskedForwards } from '../masked_forwards.ts';
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export interface AblationInputs {
  /** The target layer's module path. */
  layer: string;
  /** Its output [N, C, ...] for the input. */
  act: Tensor;
  /** For a layer inside a bottleneck, that block's input (blockInputPath), else null. */
  blockInput: Tensor | null;
  /** The unablated logits [N, 1000]. */
  logits: Tensor;
}

/** The weights [N, C]; `forwards` submits the batches and reports progress (N * C forwards from this call). */
export async function ablationCamWeights(
  ctx: GpuContext,
  model: ResNet50,
  { layer, act, blockInput, logits }: AblationInputs,
  targets: readonly number[],
  batchSize: number,
  forwards: MaskedForwards,
): Promise<Tensor> {
  const [n, channels] = act.shape as [number, number];
  const minimum = camImageMin(ctx, act);
  const targetIndices = ctx.upload(Uint32Array.from(targets), [n], 'u32', 'ablation targets');
  const scores = ctx.empty([n, channels], 'f32', 'ablation scores');
  try {
    for (let image = 0; image < n; image++) {
      for (let c0 = 0; c0 < channels; c0 += batchSize) {
        const count = Math.min(batchSize, channels - c0);
        const batch = ablationBatch(ctx, act, minimum, image, c0, count);
        // The block's input, repeated: a channel index past the end ablates nothing.
        const repeated = blockInput ? ablationBatch(ctx, blockInput, minimum, image, blockInput.shape[1]!, count) : null;
        const out = model.forwardFrom(layer, batch, repeated ? { blockInput: repeated } : {});
        camTargetScores(ctx, out, targets[image]!, scores, image * channels + c0);
        batch.release();
        repeated?.release();
        out.release();
        await forwards.encoded(count);
      }
    }
    return ablationWeights(ctx, logits, targetIndices, scores);
  } finally {
    minimum.release();
    targetIndices.release();
    scores.release();
  }
}

export const ablationcam: CamMethod = {
  name: 'ablationcam',
  needsGradient: false,
  // A layer inside a bottleneck resumes with that block's input too (its identity branch).
  request: (layers) => ({ paths: layers.map(blockInputPath).filter((p): p is string => p !== null) }),
  async layerCam(run, { layer, act }) {
    checkSpatialLayer('ablationcam', layer, act);
    const forwards = methodForwards(run, 'ablationcam');
    const path = blockInputPath(layer);
    const blockInput = path ? run.captured.get(path)! : null;
    const weights = await ablationCamWeights(run.ctx, run.model, { layer, act, blockInput, logits: run.logits }, run.targets, run.batchSize ?? DEFAULT_BATCH_SIZE.ablationcam, forwards);
    await forwards.finish();
    try {
      return combineChannels(run, act, weights, 'weighted');
    } finally {
      weights.release();
    }
  },
};
