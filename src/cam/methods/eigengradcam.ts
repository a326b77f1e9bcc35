// EigenGradCAM (pytorch-grad-cam's EigenGradCAM): the first principal component of G * A (src/cam/eigen.ts).
import { camTerms } from '../../kernels/cam/cam_channel_sum.ts';
import { firstPrincipalComponent } from '../eigen.ts';
import type { CamMethod } from '../method.ts';

export const eigengradcam: CamMethod = {
  name: 'eigengradcam',
  needsGradient: true,
  layerCam(run, { act, grad }) {
    const product = camTerms(run.ctx, act, grad!, 'product');
    try {
      return firstPrincipalComponent(run.ctx, product);
    } finally {
      product.release();
    }
  },
};
