// Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): the sum over channels of max(G * A, 0).
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const gradcamElementwise: CamMethod = {
  name: 'gradcamelementwise',
  needsGradient: true,
  layerCam: (run, { act, grad }) => combineChannels(run, act, grad!, 'reluProduct'),
};
