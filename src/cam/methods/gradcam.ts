// Grad-CAM (pytorch-grad-cam's GradCAM): each channel weighted by the spatial mean of its gradient.
import { globalAvgPool } from '../../kernels/pool/global_avgpool.ts';
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const gradcam: CamMethod = {
  name: 'gradcam',
  needsGradient: true,
  layerCam(run, { act, grad }) {
    const weights = globalAvgPool(run.ctx, grad!);
    try {
      return combineChannels(run, act, weights, 'weighted');
    } finally {
      weights.release();
    }
  },
};
