// Batchnorm in eval mode (per-channel affine), optionally fused with ReLU.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './batchnorm.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { constants, shader } from '../wgsl.ts';

/** Per-channel scale and shift of eval-mode batchnorm, computed in float64 then rounded once. */
export function foldBatchnorm(gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, eps = 1e-5): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(gamma.length);
  const shift = new Float32Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    const s = gamma[c]! / Math.sqrt(variance[c]! + eps);
    scale[c] = s;
    shift[c] = beta[c]! - mean[c]! * s;
  }
  return { scale, shift };
}

export function batchnormEval(ctx: GpuContext, x: Tensor, scale: Tensor, shift: Tensor, relu = false): Tensor {
  const [, channels, h = 1, w = 1] = x.shape as [number, number, number?, number?];
  const y = ctx.empty(x.shape, 'f32', 'batchnorm');
  launchElementwise(ctx, shader(constants({ RELU: relu }), source), 'batchnorm', x.size, [channels, h * w], [x, scale, shift, y]);
  return y;
}
