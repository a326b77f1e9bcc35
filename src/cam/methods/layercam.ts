// LayerCAM (pytorch-grad-cam's LayerCAM): the sum over channels of max(G, 0) * A.
import { combineChannels } from '../combine.ts';
import type { CamMethod } from '../method.ts';

export const layercam: CamMethod = {
  name: 'layercam',
  needsGradient: true,
  layerCam: (run, { act, grad }) => combineChannels(run, act, grad!, 'reluGrad'),
};
