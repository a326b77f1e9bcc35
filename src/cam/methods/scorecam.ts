// ScoreCAM's channel weights (pytorch-grad-cam's ScoreCAM.get_cam_weights), all on the GPU: each channel of the
// target layer's activations, upsampled to the input size (bilinear, align_corners=True) and min-max scaled
// (eps 1e-8), masks the input; the masked inputs run through the whole network in batches; the weights are the
// softmax over channels of the target class's scores.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { camTargetScores } from '../../kernels/cam/cam_target_scores.ts';
import { scorecamMaskRange } from '../../kernels/cam/scorecam_mask_range.ts';
import { scorecamMaskedInputs } from '../../kernels/cam/scorecam_masked_inputs.ts';
import { softmax } from '../../kernels/reduce/softmax.ts';
import type { ResNet50 } from '../../model/resnet50.ts';
import { DEFAULT_BATCH_SIZE, checkSpatialLayer, methodForwards, type MaskedForwards } from '../masked_forwards.ts';
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

/**
 * input [N, 3, H, W], act [N, C, h, w] (the target layer's output for that input), one target class per image:
 * the weights [N, C]. `forwards` submits the batches and reports progress (N * C forwards from this call).
 */
export async function scoreCamWeights(
  ctx: GpuContext,
  model: ResNet50,
  input: Tensor,
  act: Tensor,
  targets: readonly number[],
  batchSize: number,
  forwards: MaskedForwards,
): Promise<Tensor> {
  const [n, channels] = act.shape as [number, number];
  const [, , height, width] = input.shape as [number, number, number, number];
  const range = scorecamMaskRange(ctx, act, [height, width]);
  const scores = ctx.empty([n, channels], 'f32', 'scorecam scores');
  try {
    for (let image = 0; image < n; image++) {
      for (let c0 = 0; c0 < channels; c0 += batchSize) {
        const count = Math.min(batchSize, channels - c0);
        const masked = scorecamMaskedInputs(ctx, input, act, range, image, c0, count);
        const { logits } = model.forward(masked);
        camTargetScores(ctx, logits, targets[image]!, scores, image * channels + c0);
        masked.release();
        logits.release();
        await forwards.encoded(count);
      }
    }
    return softmax(ctx, scores);
  } finally {
    range.release();
    scores.release();
  }
}

export const scorecam: CamMethod = {
  name: 'scorecam',
  needsGradient: false,
  async layerCam(run, { layer, act }) {
    checkSpatialLayer('scorecam', layer, act);
    const forwards = methodForwards(run, 'scorecam');
    const weights = await scoreCamWeights(run.ctx, run.model, run.input, act, run.targets, run.batchSize ?? DEFAULT_BATCH_SIZE.scorecam, forwards);
    await forwards.finish();
    try {
      return combineChannels(run, act, weights, 'weighted');
    } finally {
      weights.release();
    }
  },
};
