// Conv2d forward as an implicit GEMM over NCHW tensors, joined to a GEMM core (gemm/tiles.ts: gemmCore):
//   rows m = output channel, columns n = (image, oy, ox), reduction k = (input channel, ky, kx).
// Each output element is one thread's accumulator in the core; the core calls loadA for the weights and loadB
// for the input window (conv_input_window.wgsl: computed in the load, no columns in memory), and storeC once
// per output through the fused epilogue (conv_epilogue.wgsl: per-channel affine, residual, ReLU).
// Constants from the wrapper: SLICED, OVERHANG (split-K, gemm/split_k.wgsl); the shape class, and for windowed
// convs the spatial sizes (conv_params.wgsl); the core's tile sizes. The epilogue's steps are uniform bits.
// With SLICED (too few output tiles to fill a GPU, as in layer4 at batch 1), workgroup z (`gemmBatch`) takes
// K slice [z*sliceK, (z+1)*sliceK) and writes its raw partial sums to slice z of `y`, then a
// [splits, N, C, H, W] buffer, which conv2d_split_k_sum.wgsl adds up and passes through the epilogue. The
// core's K is sliceK for every slice: its loop bound must be uniform.

// Tile load order (see the GEMM core): A = W[m, k] is contiguous along k; B (the input window) along the output pixels n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * outH() * outW(), select(p.inChannels * KH * KW, p.sliceK, SLICED));
}

fn loadA(m: u32, k: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * KH * KW)) { return 0.0; }
  return w[m * p.inChannels * KH * KW + kk];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kk = reductionStep(k);
  if (!inReduction(kk, p.inChannels * KH * KW)) { return 0.0; }
  let kArea = KH * KW;
  let outArea = outH() * outW();
  return inputWindow(imageOf(n, outArea), kk / kArea, pixelIn(n, outArea), kk % kArea);
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
