import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './ablation_batch.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { groups1d, params, shader } from '../wgsl.ts';

/**
 * AblationCAM's batch for image `n` of act [N, C, ...]: `count` copies of its activations, copy b with channel
 * c0 + b ablated (0 when minimum[n] is 0, else the library's min - (b + 1) * 1e7). With c0 >= C, a plain repeat
 * of image n. Returns [count, C, ...].
 */
export function ablationBatch(ctx: GpuContext, act: Tensor, minimum: Tensor, n: number, c0: number, count: number): Tensor {
  const [batch, channels, ...rest] = act.shape as [number, number, ...number[]];
  if (n >= batch || count < 1) throw new Error(`ablationBatch: image ${n} of activations [${act.shape.join(',')}]`);
  const area = rest.reduce((a, b) => a * b, 1);
  const y = ctx.empty([count, channels, ...rest], 'f32', 'ablation batch');
  const total = count * channels * area;
  ctx.dispatch(
    ctx.pipeline(shader(source), 'ablation_batch'),
    [ctx.uniform(params([total, n, c0, channels, area])), act, minimum, y],
    groups1d(total, ELEMENTWISE_WORKGROUP),
    `ablation batch ${count}x${channels}x${area}`,
  );
  return y;
}
