// Conv2d forward as an implicit GEMM over NCHW tensors:
//   rows m = output channel, columns n = (batch, oy, ox), reduction k = (input channel, ky, kx).
// Epilogue (fused into the store): per-channel affine (eval batchnorm or conv bias), optional residual add,
// optional ReLU. Constants from the wrapper: AFFINE, RESIDUAL, RELU, and the GEMM tile sizes.

struct Conv {
  batch: u32, inChannels: u32, inH: u32, inW: u32,
  outChannels: u32, outH: u32, outW: u32, kH: u32,
  kW: u32, stride: u32, pad: u32, _unused: u32,
}

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.outChannels, p.batch * p.outH * p.outW, p.inChannels * p.kH * p.kW);
}

fn loadA(m: u32, k: u32) -> f32 {
  return w[m * p.inChannels * p.kH * p.kW + k];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kArea = p.kH * p.kW;
  let ci = k / kArea;
  let kr = k % kArea;
  let ky = kr / p.kW;
  let kx = kr % p.kW;
  let outArea = p.outH * p.outW;
  let b = n / outArea;
  let pix = n % outArea;
  let oy = pix / p.outW;
  let ox = pix % p.outW;
  // i32 so that padding positions (negative) are rejected by one comparison each.
  let iy = i32(oy * p.stride + ky) - i32(p.pad);
  let ix = i32(ox * p.stride + kx) - i32(p.pad);
  if (iy < 0 || ix < 0 || iy >= i32(p.inH) || ix >= i32(p.inW)) { return 0.0; }
  return x[((b * p.inChannels + ci) * p.inH + u32(iy)) * p.inW + u32(ix)];
}

fn storeC(m: u32, n: u32, acc: f32) {
  let outArea = p.outH * p.outW;
  let b = n / outArea;
  let pix = n % outArea;
  let index = (b * p.outChannels + m) * outArea + pix;
  var v = acc;
  if (AFFINE) { v = v * scale[m] + shift[m]; }
  if (RESIDUAL) { v += residual[index]; }
  if (RELU) { v = max(v, 0.0); }
  y[index] = v;
}
