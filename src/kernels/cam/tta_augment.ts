import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './tta_augment.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';

/** factor * x [N, C, H, W], mirrored along W first when `flip`. */
export function ttaAugment(ctx: GpuContext, x: Tensor, flip: boolean, factor: number): Tensor {
  if (x.shape.length !== 4) throw new Error(`ttaAugment: x [${x.shape.join(',')}] is not NCHW`);
  const width = x.shape[3]!;
  const y = ctx.empty(x.shape, 'f32', 'tta augment');
  ctx.dispatch(
    ctx.pipeline(shader(constants({ FLIP: flip }), source), 'tta_augment'),
    [ctx.uniform(params([x.size, width, 0, 0], [factor])), x, y],
    groups1d(x.size, ELEMENTWISE_WORKGROUP),
    `tta augment${flip ? ' flip' : ''} x${factor}`,
  );
  return y;
}
