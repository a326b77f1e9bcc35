// The combination steps the gradient methods share (BaseCAM.get_cam_image): the channel sum of the weighted
// activations, or with eigen_smooth their first principal component (get_2d_projection).
import type { Tensor } from '../gpu/tensor.ts';
import { camWeightedSum } from '../kernels/cam/cam_weighted_sum.ts';
import { WgcamError } from '../errors.ts';
import type { CamRun } from './method.ts';

/** weights [N, C] (per image and channel) times act [N, C, h, w], summed over channels -> [N, h, w]. */
export function weightedChannelSum(run: CamRun, act: Tensor, weights: Tensor): Tensor {
  if (run.eigenSmooth) throw new WgcamError('BAD_ARGUMENT', 'eigen_smooth is not available yet');
  return camWeightedSum(run.ctx, act, weights);
}
