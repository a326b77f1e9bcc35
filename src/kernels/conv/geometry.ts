// A conv's geometry as the kernels take it: output sizes, the compile-time constants and the uniform that all
// conv kernels share (conv_params.wgsl), and the stride phases of the input gradient.
import convParams from './conv_params.wgsl?raw';
import { constants, params } from '../wgsl.ts';

export interface ConvGeometry {
  stride: number;
  pad: number;
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

export function convOutputSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/**
 * The conv kernels' shared parameter struct plus, as compile-time constants, whether the batch is one image and
 * the geometry the kernel's arithmetic depends on (see conv_params.wgsl). The spatial sizes come through `inH()`,
 * `inW()`, `outH()` and `outW()`. `fromUniform` says what the kernel reads from its uniform instead:
 * - 'none': every size is a constant (also declared as IN_H, IN_W, OUT_H, OUT_W), for kernels that divide by
 *   them on every element (division by a constant compiles to a multiply and a shift);
 * - 'sizes': the spatial sizes; the shape class (KH, KW, STRIDE, PAD) stays constant, so one pipeline serves
 *   every conv of the class;
 * - 'geometry': the kernel size too (no KH, KW, STRIDE, PAD: the kernel reads p.kH, p.kW), for kernels that only
 *   multiply by it.
 * On a software adapter each pipeline variant costs a compile through its shader compiler on first use.
 */
export function convPrelude(g: ConvShapeConstants, batch: number, fromUniform: 'none' | 'sizes' | 'geometry' = 'none'): string {
  const sizes =
    fromUniform === 'none'
      ? `${constants({ IN_H: g.inH, IN_W: g.inW, OUT_H: g.outH, OUT_W: g.outW })}
fn inH() -> u32 { return IN_H; }
fn inW() -> u32 { return IN_W; }
fn outH() -> u32 { return OUT_H; }
fn outW() -> u32 { return OUT_W; }`
      : `fn inH() -> u32 { return p.inH; }
fn inW() -> u32 { return p.inW; }
fn outH() -> u32 { return p.outH; }
fn outW() -> u32 { return p.outW; }`;
  const shapeClass = fromUniform === 'geometry' ? '' : constants({ KH: g.kH, KW: g.kW, STRIDE: g.stride, PAD: g.pad });
  return [sizes, shapeClass, constants({ ONE_IMAGE: batch === 1 }), convParams].join('\n');
}

/** The conv kernels' uniform: the `Conv` struct of conv_params.wgsl (`sliceK`: the K slice length of split-K). */
export function convUniform(batch: number, inC: number, outC: number, g: ConvShapeConstants, sliceK = 0, epilogue = 0): ArrayBuffer {
  return params([batch, inC, g.inH, g.inW, outC, g.outH, g.outW, g.kH, g.kW, g.stride, g.pad, sliceK, epilogue]);
}

/** The forward's epilogue steps as the uniform's `epilogue` bits (conv_epilogue.wgsl): affine 1, residual 2, ReLU 4. */
export function epilogueBits(e: { scale?: unknown; residual?: unknown; relu?: boolean }): number {
  return (e.scale !== undefined ? 1 : 0) | (e.residual !== undefined ? 2 : 0) | (e.relu === true ? 4 : 0);
}

/** The constants of one stride phase of the input gradient (see conv2d_backward_input.wgsl). */
export interface StridePhase {
  [name: string]: number;
  PHASE_Y: number;
  PHASE_X: number;
  PHASE_H: number;
  PHASE_W: number;
  TAPS_Y: number;
  TAPS_X: number;
  TAP0_Y: number;
  TAP0_X: number;
  DY_OFF_Y: number;
  DY_OFF_X: number;
}

/** Along one axis: the input positions p, p+s, ... and the kernel taps t0, t0+s, ... that reach them. */
function axisPhase(phase: number, size: number, kernel: number, stride: number, pad: number) {
  const tap0 = (phase + pad) % stride;
  return {
    pixels: phase < size ? Math.ceil((size - phase) / stride) : 0,
    taps: tap0 < kernel ? Math.ceil((kernel - tap0) / stride) : 0,
    tap0,
    dyOffset: Math.floor((phase + pad) / stride),
  };
}

/** stride² phases (one for stride 1); a phase with no taps is a GEMM with K = 0, which writes its zeros. */
export function stridePhases(inH: number, inW: number, kH: number, kW: number, geom: ConvGeometry): StridePhase[] {
  const phases: StridePhase[] = [];
  for (let py = 0; py < geom.stride; py++) {
    for (let px = 0; px < geom.stride; px++) {
      const y = axisPhase(py, inH, kH, geom.stride, geom.pad);
      const x = axisPhase(px, inW, kW, geom.stride, geom.pad);
      phases.push({
        PHASE_Y: py, PHASE_X: px, PHASE_H: y.pixels, PHASE_W: x.pixels,
        TAPS_Y: y.taps, TAPS_X: x.taps, TAP0_Y: y.tap0, TAP0_X: x.tap0, DY_OFF_Y: y.dyOffset, DY_OFF_X: x.dyOffset,
      });
    }
  }
  return phases;
}
