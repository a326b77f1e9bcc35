// A conv's input as explicit columns, for GEMMs on the untiled core (see im2col.wgsl).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { convPrelude, type ConvShapeConstants } from '../conv/geometry.ts';
import source from './im2col.wgsl?raw';
import { launchElementwise } from '../launch.ts';
import { shader } from '../wgsl.ts';

/** cols [(ci, ky, kx), (b, oy, ox)] of x [N, C, H, W]: each output pixel's input window, one column each. */
export function im2col(ctx: GpuContext, x: Tensor, geometry: ConvShapeConstants): Tensor {
  const [batch, inC] = x.shape as [number, number, number, number];
  const rows = inC * geometry.kH * geometry.kW;
  const cols = ctx.empty([rows, batch * geometry.outH * geometry.outW], 'f32', 'conv2d columns');
  // One thread per column row, image and output row.
  const threads = rows * batch * geometry.outH;
  launchElementwise(ctx, shader(convPrelude(geometry, batch, 'sizes'), source), 'im2col', threads, [batch, inC, geometry.inH, geometry.inW, geometry.outH, geometry.outW], [x, cols]);
  return cols;
}
