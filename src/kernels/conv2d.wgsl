// Conv2d forward as an implicit GEMM over NCHW tensors:
//   rows m = output channel, columns n = (batch, oy, ox), reduction k = (input channel, ky, kx).
// Epilogue (fused into the store): per-channel affine (eval batchnorm or conv bias), optional residual add,
// optional ReLU. Constants from the wrapper: AFFINE, RESIDUAL, RELU, B_COLUMNS, and the GEMM tile sizes.
// With B_COLUMNS, `x` holds the input's columns (im2col.wgsl), B as a plain [K, N] matrix.

// Tile load order (see the GEMM core): A = W[m, k] is contiguous along k; B (the input window) along the output pixels n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * OUT_H * OUT_W, p.inChannels * KH * KW);
}

fn loadA(m: u32, k: u32) -> f32 {
  return w[m * p.inChannels * KH * KW + k];
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
  let index = (b * p.outChannels + m) * outArea + pix;
  var v = acc;
  if (AFFINE) { v = v * scale[m] + shift[m]; }
  if (RESIDUAL) { v += residual[index]; }
  if (RELU) { v = max(v, 0.0); }
  y[index] = v;
}
