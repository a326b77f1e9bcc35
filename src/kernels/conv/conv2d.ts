// Conv2d forward with an optional fused epilogue (per-channel affine, residual add, ReLU).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './conv2d.wgsl?raw';
import convParams from './conv_params.wgsl?raw';
import convEpilogue from './conv_epilogue.wgsl?raw';
import convInputWindow from './conv_input_window.wgsl?raw';
import splitKSource from '../gemm/split_k.wgsl?raw';
import phaseOrderSource from '../software/phase_order.wgsl?raw';
import { conv2dSplitKSum } from './conv2d_split_k_sum.ts';
import { chooseTiles, gemmGroups, gemmCore, type GemmTiles } from '../gemm/tiles.ts';
import { addsByPhase, conv2dDirect, usesDirectConv } from '../software/conv2d_window.ts';
import { chosenDirectForm } from '../software/conv_forms.ts';
import { im2col } from '../software/im2col.ts';
import { gpuSplitK, sliceReduction } from '../gemm/split_k.ts';
import { constants, params, shader } from '../wgsl.ts';

export interface ConvGeometry {
  stride: number;
  pad: number;
}

export interface ConvEpilogue {
  /** y = conv * scale[c] + shift[c]: eval batchnorm folded per channel, or a bias with scale 1. */
  scale?: Tensor;
  shift?: Tensor;
  residual?: Tensor;
  relu?: boolean;
}

export interface ConvShapeConstants {
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  stride: number;
  pad: number;
}

/**
 * The conv kernels' shared parameter struct plus the geometry, and whether the batch is one image, as
 * compile-time constants (see conv_params.wgsl).
 */
export function convPrelude(g: ConvShapeConstants, batch: number): string {
  return [
    constants({ IN_H: g.inH, IN_W: g.inW, OUT_H: g.outH, OUT_W: g.outW, KH: g.kH, KW: g.kW, STRIDE: g.stride, PAD: g.pad }),
    constants({ ONE_IMAGE: batch === 1 }),
    convParams,
  ].join('\n');
}

/** The conv kernels' uniform: the `Conv` struct of conv_params.wgsl (`sliceK`: the K slice length of split-K). */
export function convUniform(batch: number, inC: number, outC: number, g: ConvShapeConstants, sliceK = 0): ArrayBuffer {
  return params([batch, inC, g.inH, g.inW, outC, g.outH, g.outW, g.kH, g.kW, g.stride, g.pad, sliceK]);
}

/**
 * Whether a conv's forward or weight-gradient GEMM on `tiles` reads its input windows from explicit columns
 * (im2col.ts) instead of computing each window in its loads: on the direct core, which loads every operand once
 * per 8 rows of the product, so that a window's divisions and bounds tests would be paid 8-64 times over
 * (bench/NOTES.md). Only a 1x1 kernel at stride 1 without padding needs no window: its input is already a plain
 * matrix. (At stride 2 the subsampling's division alone made the 1x1 forward 1.4-1.8x slower than its columns.)
 */
export function lowersToColumns(tiles: GemmTiles, kH: number, kW: number, pad: number, stride: number): boolean {
  return tiles.core === 'direct' && !(kH === 1 && kW === 1 && pad === 0 && stride === 1);
}

export function convOutputSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

export interface ConvForwardOptions {
  /** Number of K slices of the GEMM form; 1 disables split-K. Default: `gpuSplitK`. */
  splitK?: number;
}

export function conv2d(ctx: GpuContext, x: Tensor, w: Tensor, geom: ConvGeometry, epilogue: ConvEpilogue = {}, options: ConvForwardOptions = {}): Tensor {
  const [batch, inC, inH, inW] = x.shape as [number, number, number, number];
  const [outC, wInC, kH, kW] = w.shape as [number, number, number, number];
  if (wInC !== inC) throw new Error(`conv2d: input has ${inC} channels, weight expects ${wInC}`);
  const outH = convOutputSize(inH, kH, geom.stride, geom.pad);
  const outW = convOutputSize(inW, kW, geom.stride, geom.pad);
  if (outH < 1 || outW < 1) throw new Error(`conv2d: input ${inH}x${inW} is too small for a ${kH}x${kW} kernel`);
  const affine = epilogue.scale !== undefined;
  if (affine !== (epilogue.shift !== undefined)) throw new Error('conv2d: scale and shift go together');
  const pixels = batch * outH * outW;
  const k = inC * kH * kW;
  const tiles = chooseTiles(ctx, outC, pixels, k);
  const geometry = { inH, inW, outH, outW, kH, kW, stride: geom.stride, pad: geom.pad };
  const tuned = chosenDirectForm(ctx, 'forward', { inC, outC, kH, kW, stride: geom.stride, pad: geom.pad });
  if (usesDirectConv(tiles, outC, kH, kW, geom.stride, geom.pad, tuned)) return conv2dDirect(ctx, x, w, geometry, epilogue);
  // Explicit columns (the direct core) take the direct kernel's reduction order, phase order for the stem, so
  // that both forms agree bit for bit; the tiled cores' implicit GEMM, which has no direct form, keeps the plain one.
  const readsColumns = lowersToColumns(tiles, kH, kW, geom.pad, geom.stride);
  const phaseOrder = readsColumns && addsByPhase(geometry);
  const columns = readsColumns ? im2col(ctx, x, geometry, phaseOrder) : undefined;
  const wanted = Math.max(1, Math.min(options.splitK ?? gpuSplitK(ctx, tiles, outC, pixels, k), k));
  const { sliceK, splits } = sliceReduction(k, wanted, tiles.tileK);
  const sliced = splits > 1;
  // Sliced, the GEMM writes raw partial sums: the epilogue comes after they are added (conv2dSplitKSum).
  const code = shader(
    constants({ AFFINE: affine && !sliced, RESIDUAL: epilogue.residual !== undefined && !sliced, RELU: epilogue.relu === true && !sliced }),
    constants({ B_COLUMNS: columns !== undefined, PHASE_ORDER: phaseOrder, SLICED: sliced, OVERHANG: splits * sliceK > k }),
    phaseOrderSource,
    gemmCore(tiles),
    convPrelude(geometry, batch),
    convEpilogue,
    convInputWindow,
    splitKSource,
    source,
  );
  const y = sliced ? ctx.empty([splits, batch, outC, outH, outW], 'f32', 'conv2d slices') : ctx.empty([batch, outC, outH, outW], 'f32', 'conv2d');
  const dummy = ctx.dummy;
  ctx.dispatch(
    ctx.pipeline(code, 'conv2d'),
    [
      ctx.uniform(convUniform(batch, inC, outC, geometry, sliceK)),
      columns ?? x,
      w,
      epilogue.scale ?? dummy,
      epilogue.shift ?? dummy,
      epilogue.residual ?? dummy,
      y,
    ],
    gemmGroups(tiles, outC, pixels, splits),
    `conv2d ${kH}x${kW}/${geom.stride} ${inC}->${outC} ${inH}x${inW}${sliced ? ` split ${splits}` : ''}`,
  );
  columns?.release();
  if (!sliced) return y;
  const summed = conv2dSplitKSum(ctx, y, inC, geometry, sliceK, epilogue);
  y.release();
  return summed;
}
