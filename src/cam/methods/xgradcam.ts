// XGrad-CAM (pytorch-grad-cam's XGradCAM): channel weights sum(G * A) / (sum(A) + 1e-7) over the plane.
import { camChannelWeights } from '../../kernels/cam/cam_channel_weights.ts';
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const xgradcam: CamMethod = {
  name: 'xgradcam',
  needsGradient: true,
  layerCam(run, { act, grad }) {
    const weights = camChannelWeights(run.ctx, act, grad!, 'xgradcam');
    try {
      return combineChannels(run, act, weights, 'weighted');
    } finally {
      weights.release();
    }
  },
};
