// Conv2d input gradient as an implicit GEMM over NCHW tensors (the transpose of the forward's GEMM), one
// dispatch per stride phase:
// dx[b,ci,iy,ix] = sum dy[b,co,oy,ox] * W[co,ci,ky,kx] over the (oy, ox) that reached (iy, ix) through (ky, kx):
// oy = (iy + pad - ky) / stride when that divides exactly and lands inside dy.
// With stride s, only the taps ky = (iy + pad) mod s + s*ty divide exactly, and which ones depends on iy mod s
// alone. So the input pixels are split by phase (iy mod s, ix mod s), and each phase is a dense GEMM over its
// own taps: no multiply is spent on a tap the stride skips (3/4 of them at stride 2). Stride 1 is one phase.
//   rows m = input channel, columns n = (batch, qy, qx) with iy = PHASE_Y + s*qy,
//   reduction k = (output channel, ty, tx) with ky = TAP0_Y + s*ty, and then oy = qy + DY_OFF_Y - ty.
// Input rows and columns that no window reached (PyTorch floors the output size) get no term, hence 0.
// Phase constants from the wrapper: PHASE_Y/X, PHASE_H/W (the phase's pixel grid), TAPS_Y/X, TAP0_Y/X, DY_OFF_Y/X.
// With SLICED (split-K, stride 1 only: one phase, the whole input), workgroup z takes a K slice
// (gemm/split_k.wgsl) and writes its partial sums to slice z of `dx`, then a [splits, N, C, H, W] buffer
// that conv2d_backward_input_split_sum.wgsl adds up: layer4's 1x1 input gradients have 512 channels by 49
// pixels, 8 output tiles, over a K of 2048.
// Fused: the epilogue of conv_input_grad_epilogue.wgsl as dx is stored (by the split sum when SLICED), and with
// DY_SCALE dy is read times dyScale[co] (eval batchnorm's backward on the conv's own output gradient, which a
// residual block's last conv cannot leave to the kernel before it: its masked gradient is also the residual's).

// Tile load order (see the GEMM core): A = W[co, m, tap] is contiguous along m for a 1x1 kernel; otherwise the
// taps of one output channel, along k, are the nearer neighbours. B = dy along the pixels n.
const A_M_CONTIGUOUS: bool = KH * KW == 1u;
const B_K_CONTIGUOUS: bool = false;

// Divisors for the tap index. A phase can have no taps (a 1x1 kernel at stride 2 reaches only even pixels):
// its K is 0, so the loaders never run and the tile core writes zeros, but the divisions must still compile.
const TAPS_PER_CHANNEL: u32 = max(TAPS_Y * TAPS_X, 1u);
const TAPS_ROW: u32 = max(TAPS_X, 1u);

// The phase's single tap reads dy pixel for pixel (see loadB).
const DY_PIXEL_FOR_PIXEL: bool =
  TAPS_Y * TAPS_X == 1u && DY_OFF_Y == 0u && DY_OFF_X == 0u && PHASE_H == OUT_H && PHASE_W == OUT_W;

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read> dyScale: array<f32>;

// dy as the GEMM reads it: times the output channel's scale with DY_SCALE.
fn dyValue(co: u32, index: u32) -> f32 {
  if (DY_SCALE) { return dy[index] * dyScale[co]; }
  return dy[index];
}

fn gemmDims() -> vec3u {
  return vec3u(p.inChannels, p.batch * PHASE_H * PHASE_W, select(p.outChannels * TAPS_Y * TAPS_X, p.sliceK, SLICED));
}

fn loadA(m: u32, step: u32) -> f32 {
  let k = reductionStep(step);
  if (!inReduction(k, p.outChannels * TAPS_Y * TAPS_X)) { return 0.0; }
  // k = (co, ty, tx), so W[co, m, ky, kx].
  let co = k / TAPS_PER_CHANNEL;
  let t = k % TAPS_PER_CHANNEL;
  let ky = TAP0_Y + STRIDE * (t / TAPS_ROW);
  let kx = TAP0_X + STRIDE * (t % TAPS_ROW);
  return w[((co * p.inChannels + m) * KH + ky) * KW + kx];
}

fn loadB(step: u32, n: u32) -> f32 {
  let k = reductionStep(step);
  if (!inReduction(k, p.outChannels * TAPS_Y * TAPS_X)) { return 0.0; }
  let co = k / TAPS_PER_CHANNEL;
  let t = k % TAPS_PER_CHANNEL;
  let phaseArea = PHASE_H * PHASE_W;
  let b = imageOf(n, phaseArea);
  let q = pixelIn(n, phaseArea);
  // One tap that maps phase pixel q onto output pixel q (a 1x1 kernel without padding: at stride 1, or the
  // even phase at stride 2): dy is read as it lies, without the tap arithmetic or bounds tests.
  if (DY_PIXEL_FOR_PIXEL) { return dyValue(co, (b * p.outChannels + co) * OUT_H * OUT_W + q); }
  // i32: taps past the top or left edge of dy are negative.
  let oy = i32(q / PHASE_W + DY_OFF_Y) - i32(t / TAPS_ROW);
  let ox = i32(q % PHASE_W + DY_OFF_X) - i32(t % TAPS_ROW);
  if (oy < 0 || ox < 0 || oy >= i32(OUT_H) || ox >= i32(OUT_W)) { return 0.0; }
  return dyValue(co, ((b * p.outChannels + co) * OUT_H + u32(oy)) * OUT_W + u32(ox));
}

fn storeC(m: u32, n: u32, acc: f32) {
  let phaseArea = PHASE_H * PHASE_W;
  let b = imageOf(n, phaseArea);
  let q = pixelIn(n, phaseArea);
  // At stride 1 the one phase is the whole input: q is the input pixel.
  var pixel = q;
  if (STRIDE != 1u) { pixel = (PHASE_Y + STRIDE * (q / PHASE_W)) * IN_W + PHASE_X + STRIDE * (q % PHASE_W); }
  // Sliced, slice z holds images z * batch to z * batch + batch - 1 of a [splits * N, C, H, W] buffer.
  if (SLICED) {
    dx[((gemmBatch * p.batch + b) * p.inChannels + m) * IN_H * IN_W + pixel] = acc;
  } else {
    let index = (b * p.inChannels + m) * IN_H * IN_W + pixel;
    dx[index] = inputGradEpilogue(m, index, acc);
  }
}
