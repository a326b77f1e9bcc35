// Conv2d forward as an implicit GEMM over NCHW tensors:
//   rows m = output channel, columns n = (batch, oy, ox), reduction k = (input channel, ky, kx).
// Epilogue (fused into the store, shared/conv_epilogue.wgsl, with the bindings): per-channel affine (eval
// batchnorm or conv bias), optional residual add, optional ReLU. Constants from the wrapper: AFFINE, RESIDUAL,
// RELU, B_COLUMNS, SLICED, OVERHANG, and the GEMM tile sizes.
// With B_COLUMNS, `x` holds the input's columns (im2col.wgsl), B as a plain [K, N] matrix, its rows in the
// reduction order of shared/phase_order.wgsl (PHASE_ORDER, columns only), in which A's loads follow them.
// With SLICED (split-K: too few output tiles to fill a GPU, as in layer4 at batch 1), workgroup z (`gemmBatch`)
// takes K slice [z*sliceK, (z+1)*sliceK) (shared/split_k.wgsl) and writes its raw partial sums to slice z of
// `y`, then a [splits, N, C, H, W] buffer, which conv2d_split_k_sum.wgsl adds up and passes through the
// epilogue. The core's K is sliceK for every slice: its loop bound must be uniform.

// Tile load order (see the GEMM core): A = W[m, k] is contiguous along k; B (the input window) along the output pixels n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * OUT_H * OUT_W, select(p.inChannels * KH * KW, p.sliceK, SLICED));
}

fn loadA(m: u32, k: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * KH * KW)) { return 0.0; }
  let filterStart = m * p.inChannels * KH * KW;
  if (PHASE_ORDER) {
    // kk is a position in the reduction (shared/phase_order.wgsl), as the columns' rows are.
    let j = kk % KW;
    return w[filterStart + kk - j + kxAtPosition(j)];
  }
  return w[filterStart + kk];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * KH * KW)) { return 0.0; }
  if (B_COLUMNS) { return x[kk * p.batch * OUT_H * OUT_W + n]; }
  let kArea = KH * KW;
  let outArea = OUT_H * OUT_W;
  return inputWindow(imageOf(n, outArea), kk / kArea, pixelIn(n, outArea), kk % kArea);
}

fn storeC(m: u32, n: u32, acc: f32) {
  let outArea = OUT_H * OUT_W;
  let b = imageOf(n, outArea);
  let pix = pixelIn(n, outArea);
  let index = (b * p.outChannels + m) * outArea + pix;
  if (SLICED) {
    y[gemmBatch * p.batch * p.outChannels * outArea + index] = acc;
    return;
  }
  storeOutput(m, index, acc);
}
