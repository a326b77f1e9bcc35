// Conv2d forward without a GEMM or columns, for CPU adapters (see conv2d_window.wgsl): the plan
// (conv/plan.ts) sends a windowed conv here on the untiled GEMM core, by the config's window rule.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import type { ConvEpilogue } from '../conv/conv2d.ts';
import convEpilogue from '../conv/conv_epilogue.wgsl?raw';
import { convPrelude, convUniform, epilogueBits, type ConvShapeConstants } from '../conv/geometry.ts';
import { operandRounding } from '../gemm/tiles.ts';
import { groups1d, shader } from '../wgsl.ts';
import source from './conv2d_window.wgsl?raw';
import rowWindow from './row_window.wgsl?raw';

const THREADS_PER_WORKGROUP = 64;
/** Output pixels and output channels per thread. */
const PIXELS_PER_THREAD = 8;
const CHANNELS_PER_THREAD = 8;
/** Taps along x per stride phase that one window of 11 input values serves for 8 pixels. */
const MAX_TAPS_X = 4;

/**
 * Whether this kernel can compute a forward: a window (not a 1x1 without padding) at stride 1 or 2 with at most
 * 4 taps along x per stride phase (the 3x3s; at stride 2 also the stem's 7), output channels in multiples of 8.
 */
export function windowForwardFits(c: { outC: number; kH: number; kW: number; stride: number; pad: number }): boolean {
  const window = !(c.kH === 1 && c.kW === 1 && c.pad === 0);
  return window && c.stride <= 2 && Math.ceil(c.kW / c.stride) <= MAX_TAPS_X && c.outC % CHANNELS_PER_THREAD === 0;
}

/** y [N, CO, OH, OW] = epilogue(conv2d(x, w)), as conv/conv2d.ts's conv2d. */
export function conv2dWindow(ctx: GpuContext, x: Tensor, w: Tensor, geometry: ConvShapeConstants, epilogue: ConvEpilogue): Tensor {
  const [batch, inC] = x.shape as [number, number, number, number];
  const outC = w.shape[0]!;
  const code = shader(
    operandRounding(ctx.kernels.operands),
    // The sizes stay constants: read from the uniform, they made the stride-1 3x3s slower on lavapipe, which
    // costs more than their extra pipelines (bench/NOTES.md, "Cold start: pipeline variants, ...").
    convPrelude(geometry, batch, 'none'),
    convEpilogue,
    rowWindow,
    source,
  );
  const y = ctx.empty([batch, outC, geometry.outH, geometry.outW], 'f32', 'conv2d');
  const threads = batch * geometry.outH * (outC / CHANNELS_PER_THREAD) * Math.ceil(geometry.outW / PIXELS_PER_THREAD);
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d_window'),
    [
      ctx.uniform(convUniform(batch, inC, outC, geometry, 0, epilogueBits(epilogue))),
      x,
      w,
      epilogue.scale ?? ctx.dummy,
      epilogue.shift ?? ctx.dummy,
      epilogue.residual ?? ctx.dummy,
      y,
    ],
    groups1d(threads, THREADS_PER_WORKGROUP),
    `conv2d ${geometry.kH}x${geometry.kW}/${geometry.stride} ${inC}->${outC} ${geometry.inH}x${geometry.inW}`,
  );
  return y;
}
