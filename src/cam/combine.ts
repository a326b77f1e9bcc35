// The combination step the gradient methods share (BaseCAM.get_cam_image): the channel sum of each channel's
// term (weights * A, G * A, ...; kernels/cam/cam_term.wgsl), or, with eigen_smooth, the first principal
// component of the terms (get_2d_projection, src/cam/eigen.ts).
import type { Tensor } from '../gpu/tensor.ts';
import { camChannelSum, camTerms, type CamTerm } from '../kernels/cam/cam_channel_sum.ts';
import { firstPrincipalComponent } from './eigen.ts';
import type { CamRun } from './method.ts';

/**
 * The raw map [N, h, w] of act [N, C, h, w] and aux (weights [N, C] for `weighted`, else the gradient): the sum
 * over channels of the term, or its projection on the first principal component when the run asks for
 * eigen_smooth.
 */
export function combineChannels(run: CamRun, act: Tensor, aux: Tensor, term: CamTerm): Tensor {
  if (!run.eigenSmooth) return camChannelSum(run.ctx, act, aux, term);
  const terms = camTerms(run.ctx, act, aux, term);
  try {
    return firstPrincipalComponent(run.ctx, terms);
  } finally {
    terms.release();
  }
}
