// Grad-CAM++ (pytorch-grad-cam's GradCAMPlusPlus): channel weights from the alpha of grad_cam_plusplus.py
// (G^2, G^3, the spatial sum of A, eps 1e-6, zero where G = 0) applied to the positive gradients.
import { camChannelWeights } from '../../kernels/cam/cam_channel_weights.ts';
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const gradcamPlusPlus: CamMethod = {
  name: 'gradcam++',
  needsGradient: true,
  layerCam(run, { act, grad }) {
    const weights = camChannelWeights(run.ctx, act, grad!, 'gradcam++');
    try {
      return combineChannels(run, act, weights, 'weighted');
    } finally {
      weights.release();
    }
  },
};
