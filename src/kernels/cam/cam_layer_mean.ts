import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './cam_layer_mean.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** mean over the list of max(0, map), all maps of one shape. */
export function camLayerMean(ctx: GpuContext, maps: readonly Tensor[]): Tensor {
  const first = maps[0];
  if (!first) throw new Error('camLayerMean: no maps');
  for (const m of maps) {
    if (m.size !== first.size) throw new Error(`camLayerMean: maps [${m.shape.join(',')}] and [${first.shape.join(',')}] differ`);
  }
  // One binding for any number of layers: copy the maps side by side (ordered with the dispatches around them).
  const stacked = ctx.empty([maps.length, ...first.shape], 'f32', 'cam layers');
  const encoder = ctx.commandEncoder();
  maps.forEach((m, l) => encoder.copyBufferToBuffer(m.buffer, 0, stacked.buffer, l * first.byteLength, first.byteLength));
  const y = ctx.empty(first.shape, 'f32', 'cam layer mean');
  launchElementwise(ctx, shader(source), 'cam_layer_mean', first.size, [maps.length], [stacked, y]);
  stacked.release();
  return y;
}
