// Conv2d forward as a GEMM over explicit columns (im2col.wgsl), for the untiled GEMM core of CPU adapters:
//   rows m = output channel, columns n = (image, oy, ox), reduction k = a row of the columns.
// The untiled core calls each loader 8 times per step of k, so the window arithmetic of an implicit GEMM
// (conv/conv_input_window.wgsl) would be paid 8 times over; im2col pays it once per element instead. B is the
// columns as a plain [K, N] matrix (bound as `x`); the fused epilogue is the forward's (conv/conv_epilogue.wgsl).
// It adds in the window kernel's order, (ci, ky, kx), so both forms give the same bits.
// Constants from the wrapper: SLICED, OVERHANG (gemm/split_k.wgsl); the shape class (the spatial sizes and the
// epilogue's steps come from the uniform); the core's tile sizes.

const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * outH() * outW(), select(p.inChannels * p.kH * p.kW, p.sliceK, SLICED));
}

fn loadA(m: u32, k: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * p.kH * p.kW)) { return 0.0; }
  return w[m * p.inChannels * p.kH * p.kW + kk];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * p.kH * p.kW)) { return 0.0; }
  return x[kk * p.batch * outH() * outW() + n];
}

fn storeC(m: u32, n: u32, acc: f32) {
  let outArea = outH() * outW();
  let index = (imageOf(n, outArea) * p.outChannels + m) * outArea + pixelIn(n, outArea);
  if (SLICED) {
    y[gemmBatch * p.batch * p.outChannels * outArea + index] = acc;
    return;
  }
  storeOutput(m, index, acc);
}
