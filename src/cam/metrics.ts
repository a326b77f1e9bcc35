// CAM faithfulness metrics, as pytorch-grad-cam's metrics/ compute them, on the GPU.
//
// cam-mult (CamMultImageConfidenceChange): the target's logit for the input multiplied by the map (broadcast over
// channels) minus its logit for the input itself, per image; ClassifierOutputTarget's score, no softmax.
import type { Tensor } from '../gpu/tensor.ts';
import type { ResNet50 } from '../model/resnet50.ts';
import { camMultiply } from '../kernels/cam/cam_multiply.ts';
import { targetScoreChange } from '../kernels/cam/target_score_change.ts';
import { WgcamError } from '../errors.ts';

/** The metrics by their CLI name, with the name of their dump key (`metric.<method>.<key>`). */
export const CAM_METRICS = { 'cam-mult': 'cam_mult_change' } as const;
export type CamMetricName = keyof typeof CAM_METRICS;

export function checkCamMetrics(names: readonly string[]): CamMetricName[] {
  for (const name of names) {
    if (!(name in CAM_METRICS)) throw new WgcamError('BAD_ARGUMENT', `unknown metric "${name}": use ${Object.keys(CAM_METRICS).join(', ')}`);
  }
  return [...new Set(names)] as CamMetricName[];
}

/**
 * CamMultImageConfidenceChange: input [N, 3, H, W], its logits [N, 1000], the map [N, H, W] and the targets as a
 * u32 tensor [N] -> [N] (the caller releases it).
 */
export function camMultChange(model: ResNet50, input: Tensor, logits: Tensor, map: Tensor, targets: Tensor): Tensor {
  const ctx = model.ctx;
  const perturbed = camMultiply(ctx, input, map);
  const after = model.forward(perturbed).logits;
  perturbed.release();
  try {
    return targetScoreChange(ctx, logits, after, targets);
  } finally {
    after.release();
  }
}
