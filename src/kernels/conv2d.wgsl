// Conv2d forward as an implicit GEMM over NCHW tensors:
//   rows m = output channel, columns n = (batch, oy, ox), reduction k = (input channel, ky, kx).
// Epilogue (fused into the store, shared/conv_epilogue.wgsl, with the bindings): per-channel affine (eval
// batchnorm or conv bias), optional residual add, optional ReLU. Constants from the wrapper: AFFINE, RESIDUAL,
// RELU, B_COLUMNS, and the GEMM tile sizes.
// With B_COLUMNS, `x` holds the input's columns (im2col.wgsl), B as a plain [K, N] matrix, its rows in the
// reduction order of shared/phase_order.wgsl (PHASE_ORDER, columns only), in which A's loads follow them.

// Tile load order (see the GEMM core): A = W[m, k] is contiguous along k; B (the input window) along the output pixels n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * OUT_H * OUT_W, p.inChannels * KH * KW);
}

fn loadA(m: u32, k: u32) -> f32 {
  let filterStart = m * p.inChannels * KH * KW;
  if (PHASE_ORDER) {
    // k is a position in the reduction (shared/phase_order.wgsl), as the columns' rows are.
    let j = k % KW;
    return w[filterStart + k - j + kxAtPosition(j)];
  }
  return w[filterStart + k];
}

fn loadB(k: u32, n: u32) -> f32 {
  if (B_COLUMNS) { return x[k * p.batch * OUT_H * OUT_W + n]; }
  let kArea = KH * KW;
  let outArea = OUT_H * OUT_W;
  return inputWindow(imageOf(n, outArea), k / kArea, pixelIn(n, outArea), k % kArea);
}

fn storeC(m: u32, n: u32, acc: f32) {
  let outArea = OUT_H * OUT_W;
  let b = imageOf(n, outArea);
  let pix = pixelIn(n, outArea);
  storeOutput(m, (b * p.outChannels + m) * outArea + pix, acc);
}
