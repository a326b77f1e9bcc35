// Conv2d weight gradient as an implicit GEMM over NCHW tensors:
//   rows m = output channel, columns n = (input channel, ky, kx), reduction k = (batch, oy, ox).
// dW[co,ci,ky,kx] = sum dy[b,co,oy,ox] * x[b,ci,oy*stride-pad+ky,ox*stride-pad+kx].
// K is long and M*N small in the early layers (conv1: 12544 per image against 64 x 147), so the reduction can
// be split: workgroup z (`gemmBatch`) takes K slice [z*sliceK, (z+1)*sliceK) and writes its partial sums to
// slice z of a [splits, M, N] buffer that split_k_reduce sums. One slice (sliceK >= K) writes dW directly.
// The GEMM's K is sliceK for every slice: the core's loop bound must be uniform, and a value read through the
// private `gemmBatch` is not, as far as WGSL's uniformity analysis knows. The last slice's overhang loads 0.
// Constants from the wrapper: SLICED (more than one slice; else sliceK is K, and the loaders skip the slice
// arithmetic), OVERHANG (the slices run past K, so the loaders test for it), B_COLUMNS; ONE_IMAGE
// (conv_params.wgsl) spares the division of pixel kk at batch 1, which the untiled GEMM core would pay in each
// of its 8 loader calls per step of k.

// Tile load order (see the GEMM core): A = dy[m, pixel k] and B (the input window at pixel k, or its column,
// B_COLUMNS) are both contiguous along the pixels k.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = true;

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.inChannels * KH * KW, p.sliceK);
}

fn loadA(m: u32, k: u32) -> f32 {
  let outArea = OUT_H * OUT_W;
  let kk = reductionStep(k); // the pixel (b, oy, ox)
  if (!inReduction(kk, p.batch * OUT_H * OUT_W)) { return 0.0; }
  return dy[(imageOf(kk, outArea) * p.outChannels + m) * outArea + pixelIn(kk, outArea)];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kArea = KH * KW;
  let outArea = OUT_H * OUT_W;
  let kk = reductionStep(k); // the pixel (b, oy, ox)
  if (!inReduction(kk, p.batch * OUT_H * OUT_W)) { return 0.0; }
  // With B_COLUMNS, `x` holds the input's columns (im2col.wgsl): row n, pixel kk.
  if (B_COLUMNS) { return x[n * p.batch * outArea + kk]; }
  return inputWindow(imageOf(kk, outArea), n / kArea, pixelIn(kk, outArea), n % kArea);
}

fn storeC(m: u32, n: u32, acc: f32) {
  let cols = p.inChannels * KH * KW;
  dw[(gemmBatch * p.outChannels + m) * cols + n] = acc;
}
