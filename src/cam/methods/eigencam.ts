// EigenCAM (pytorch-grad-cam's EigenCAM): the activations' first principal component (src/cam/eigen.ts); no
// gradients, and eigen_smooth changes nothing.
import { firstPrincipalComponent } from '../eigen.ts';
import type { CamMethod } from '../method.ts';

export const eigencam: CamMethod = {
  name: 'eigencam',
  needsGradient: false,
  layerCam: (run, { act }) => firstPrincipalComponent(run.ctx, act),
};
