// HiResCAM (pytorch-grad-cam's HiResCAM): the sum over channels of G * A, no spatial averaging of the gradient.
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const hirescam: CamMethod = {
  name: 'hirescam',
  needsGradient: true,
  layerCam: (run, { act, grad }) => combineChannels(run, act, grad!, 'product'),
};
