// Conv2d forward with an optional fused epilogue (per-channel affine, residual add, ReLU), run as its plan
// (plan.ts) says: an implicit GEMM (conv2d.wgsl on the context's GEMM core), or on CPU adapters a GEMM over
// explicit columns or a window kernel (software/).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { gemmCore, gemmGroups } from '../gemm/tiles.ts';
import { splitKSnippet } from '../gemm/split_k.ts';
import { conv2dColumns } from '../software/conv2d_columns.ts';
import { conv2dWindow } from '../software/conv2d_window.ts';
import { shader } from '../wgsl.ts';
import source from './conv2d.wgsl?raw';
import { conv2dSplitKSum } from './conv2d_split_k_sum.ts';
import convEpilogue from './conv_epilogue.wgsl?raw';
import convInputWindow from './conv_input_window.wgsl?raw';
import { convOutputSize, convPrelude, convUniform, epilogueBits, type ConvGeometry } from './geometry.ts';
import { planConv } from './plan.ts';

export { convOutputSize, type ConvGeometry } from './geometry.ts';

export interface ConvEpilogue {
  /** y = conv * scale[c] + shift[c]: eval batchnorm folded per channel, or a bias with scale 1. */
  scale?: Tensor;
  shift?: Tensor;
  residual?: Tensor;
  relu?: boolean;
}

export interface ConvForwardOptions {
  /** Number of K slices of a GEMM form; 1 disables split-K. Default: the plan's. */
  splitK?: number;
}

export function conv2d(ctx: GpuContext, x: Tensor, w: Tensor, geom: ConvGeometry, epilogue: ConvEpilogue = {}, options: ConvForwardOptions = {}): Tensor {
  const [batch, inC, inH, inW] = x.shape as [number, number, number, number];
  const [outC, wInC, kH, kW] = w.shape as [number, number, number, number];
  if (wInC !== inC) throw new Error(`conv2d: input has ${inC} channels, weight expects ${wInC}`);
  const outH = convOutputSize(inH, kH, geom.stride, geom.pad);
  const outW = convOutputSize(inW, kW, geom.stride, geom.pad);
  if (outH < 1 || outW < 1) throw new Error(`conv2d: input ${inH}x${inW} is too small for a ${kH}x${kW} kernel`);
  if ((epilogue.scale === undefined) !== (epilogue.shift === undefined)) throw new Error('conv2d: scale and shift go together');
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const plan = planConv(ctx.kernels, { batch, inC, outC, inH, inW, kH, kW, ...geom }, 'forward', options.splitK);
  if (plan.form === 'window') return conv2dWindow(ctx, x, w, geometry, epilogue);
  const { tiles, m, n } = plan.gemm!;
  const sliced = plan.splits > 1;
  const label = `conv2d ${kH}x${kW}/${geom.stride} ${inC}->${outC} ${inH}x${inW}${sliced ? ` split ${plan.splits}` : ''}`;
  // Sliced, the GEMM writes raw partial sums: the epilogue comes after they are added (conv2dSplitKSum).
  const y = sliced ? ctx.empty([plan.splits, batch, outC, outH, outW], 'f32', 'conv2d slices') : ctx.empty([batch, outC, outH, outW], 'f32', 'conv2d');
  const fused = sliced ? {} : epilogue;
  if (plan.form === 'columns') {
    conv2dColumns(ctx, x, w, y, geometry, plan, fused, label);
  } else {
    const code = shader(
      gemmCore(tiles),
      // A 1x1 without padding loads its input without dividing by the sizes: one pipeline serves all of them.
      convPrelude(geometry, batch, kH === 1 && kW === 1 && geom.pad === 0 ? 'sizes' : 'none'),
      convEpilogue,
      convInputWindow,
      splitKSnippet(plan),
      source,
    );
    const bindings = [x, w, fused.scale ?? ctx.dummy, fused.shift ?? ctx.dummy, fused.residual ?? ctx.dummy, y];
    ctx.dispatch(ctx.pipeline(code, 'conv2d'), [ctx.uniform(convUniform(batch, inC, outC, geometry, plan.sliceK, epilogueBits(fused))), ...bindings], gemmGroups(tiles, m, n, plan.splits), label);
  }
  if (!sliced) return y;
  const summed = conv2dSplitKSum(ctx, y, inC, geometry, plan.sliceK, epilogue);
  y.release();
  return summed;
}
