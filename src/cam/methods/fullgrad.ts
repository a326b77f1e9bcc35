// FullGrad (pytorch-grad-cam's FullGrad): the input gradient times the input, plus every batchnorm's folded bias
// times the gradient at its output. It ignores the target layers (src/cam/fullgrad.ts has the maths).
// The gradients at the 53 batchnorm outputs come from asking for those module paths: a conv whose batchnorm is
// observed runs unfused (src/model/ops.ts's convBn), so the batchnorm's output, after which the ReLU or the
// residual add follows, is a tensor of its own and the tape's gradient at it is exactly the library's hook value.
import { WgcamError } from '../../errors.ts';
import { FULLGRAD_LAYERS, fullGradMap } from '../fullgrad.ts';
import type { CamMethod } from '../method.ts';

export const fullgrad: CamMethod = {
  name: 'fullgrad',
  needsGradient: true,
  request: () => ({ paths: FULLGRAD_LAYERS, input: true }),
  finalMap(run) {
    if (run.eigenSmooth) throw new WgcamError('BAD_ARGUMENT', 'fullgrad with eigen_smooth is not available: run fullgrad without it');
    const grads = run.grads;
    if (!grads?.input) throw new Error('fullgrad: the explanation ran without the input gradient');
    const layers = FULLGRAD_LAYERS.map((name) => {
      const grad = grads.paths.get(name);
      if (!grad) throw new Error(`fullgrad: no gradient at ${name}`);
      return { bias: run.model.batchnorm(name).shift, grad };
    });
    return fullGradMap(run.ctx, run.input, grads.input, layers);
  },
};
