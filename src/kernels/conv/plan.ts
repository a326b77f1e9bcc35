// The one place a conv's route is decided. `planConv` is a pure function of the context's kernel choices
// (config.ts), the conv's geometry and the pass; conv2d.ts, conv2d_backward_input.ts and
// conv2d_backward_weight.ts run the plan it returns, and `wgcam plan` prints it for every ResNet50 conv.
//
// Every pass is a GEMM in one of two forms, or on CPU adapters a window kernel:
// - 'implicit': the GEMM computes each input window inside its loads (the GPU path). The input gradient runs
//   one implicit GEMM per stride phase (conv2d_backward_input.wgsl), so no work goes to taps the stride skips.
// - 'columns': the windows are written out first as explicit columns. The forward and the weight gradient then
//   read them as a plain matrix (software/im2col.ts): on the untiled core each operand is loaded once per 8 rows
//   of the product, so window arithmetic in the loads would be paid 8 times over. The input gradient is one GEMM
//   into columns, then col2im; also on GPUs for the stem, whose 3 input channels would fill no tile.
// - 'window': a kernel without a GEMM that reads each input row's window once for 8 output pixels
//   (software/conv2d_window.ts, software/conv2d_backward_input_window.ts); untiled core only.
import { THIN_TILES, gemmTiles, type GemmTiles } from '../gemm/tiles.ts';
import { chooseSplitK, sliceReduction } from '../gemm/split_k.ts';
import type { KernelConfig, WindowRule } from '../config.ts';
import { convOutputSize, stridePhases, type StridePhase } from './geometry.ts';
import { windowForwardFits } from '../software/conv2d_window.ts';
import { windowInputGradFits } from '../software/conv2d_backward_input_window.ts';

export const CONV_PASSES = ['forward', 'inputGrad', 'weightGrad'] as const;
export type ConvPass = (typeof CONV_PASSES)[number];
export type ConvForm = 'implicit' | 'columns' | 'window';

/** A conv as the planner sees it: x [batch, inC, inH, inW], w [outC, inC, kH, kW]. */
export interface ConvShape {
  batch: number;
  inC: number;
  outC: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  stride: number;
  pad: number;
}

export interface ConvPlan {
  pass: ConvPass;
  form: ConvForm;
  /** The GEMM (GEMM forms): rows, columns and reduction length, and its tiles. */
  gemm?: { m: number; n: number; k: number; tiles: GemmTiles };
  /** Split-K: the reduction cut into `splits` slices of `sliceK` steps (1 slice: no split). */
  splits: number;
  sliceK: number;
  /** Input gradient 'implicit' at stride > 1: one GEMM per stride phase with pixels, with its own size and tiles. */
  phases?: Array<{ phase: StridePhase; n: number; k: number; tiles: GemmTiles }>;
}

/** The route of one pass of one conv under `config`. `splitK` forces a number of K slices (tests, bench). */
export function planConv(config: KernelConfig, c: ConvShape, pass: ConvPass, splitK?: number): ConvPlan {
  const outH = convOutputSize(c.inH, c.kH, c.stride, c.pad);
  const outW = convOutputSize(c.inW, c.kW, c.stride, c.pad);
  const taps = c.inC * c.kH * c.kW;
  const pixels = c.batch * outH * outW;
  const plainMatrix = c.kH === 1 && c.kW === 1 && c.pad === 0; // a 1x1 without padding needs no window
  const slices = (tiles: GemmTiles, m: number, n: number, k: number, auto: boolean) => {
    const wanted = Math.max(1, Math.min(splitK ?? (auto ? chooseSplitK(tiles, m, n, k) : 1), k));
    return sliceReduction(k, wanted, tiles.tileK);
  };
  const gemm = (form: ConvForm, m: number, n: number, k: number, splitAuto: boolean): ConvPlan => {
    const tiles = gemmTiles(config, m, n, k);
    return { pass, form, gemm: { m, n, k, tiles }, ...slices(tiles, m, n, k, splitAuto) };
  };
  const window = (): ConvPlan => ({ pass, form: 'window', splits: 1, sliceK: 0 });
  const untiled = config.tiles.core === 'untiled';
  switch (pass) {
    case 'forward':
      if (untiled && windowForwardFits(c) && takesWindow(config.windows.forward, c)) return window();
      if (untiled && !(plainMatrix && c.stride === 1)) return gemm('columns', c.outC, pixels, taps, config.splitK);
      return gemm('implicit', c.outC, pixels, taps, config.splitK);
    case 'inputGrad': {
      if (untiled && windowInputGradFits(c) && takesWindow(config.windows.inputGrad, c)) return window();
      const fewChannels = c.inC <= THIN_TILES.tileM && taps > THIN_TILES.tileM;
      if (fewChannels || (untiled && !plainMatrix)) return gemm('columns', taps, pixels, c.outC, false);
      if (c.stride === 1) return gemm('implicit', c.inC, c.batch * c.inH * c.inW, c.outC * c.kH * c.kW, config.splitK);
      const phases = stridePhases(c.inH, c.inW, c.kH, c.kW, c)
        .map((phase) => ({ phase, n: c.batch * phase.PHASE_H * phase.PHASE_W, k: c.outC * phase.TAPS_Y * phase.TAPS_X }))
        .filter((p) => p.n > 0) // an input smaller than the stride has no pixel in some phases
        .map((p) => ({ ...p, tiles: gemmTiles(config, c.inC, p.n, p.k) }));
      return { pass, form: 'implicit', phases, splits: 1, sliceK: 0 };
    }
    case 'weightGrad':
      // Split on every adapter: its K is the pixels (12544 per image for the stem) and its output often small.
      return gemm(untiled && !(plainMatrix && c.stride === 1) ? 'columns' : 'implicit', c.outC, taps, pixels, true);
  }
}

/** Whether a window rule sends this conv to its window kernel (where the kernel fits). */
function takesWindow(rule: WindowRule, c: Pick<ConvShape, 'kW' | 'stride'>): boolean {
  return rule === 'all' || (rule === 'dense' && Math.floor(c.kW / c.stride) >= 3);
}

/** `form`, or for a GEMM form its tiles and slices: one line of `wgcam plan`. */
export function describePlan(p: ConvPlan): string {
  const tiles = (t: GemmTiles) => `${t.core} ${t.tileM}x${t.tileN}${t.core === 'tiled' ? `x${t.tileK}` : ''}`;
  const parts: string[] = [p.form];
  if (p.gemm) parts.push(`gemm ${p.gemm.m}x${p.gemm.n}x${p.gemm.k}`, tiles(p.gemm.tiles));
  if (p.phases) parts.push(`${p.phases.length} phase GEMMs`, [...new Set(p.phases.map((ph) => tiles(ph.tiles)))].join(', '));
  if (p.splits > 1) parts.push(`split-K ${p.splits} x ${p.sliceK}`);
  return parts.join(', ');
}
