// Conv2d input gradient as an implicit GEMM over NCHW tensors (the transpose of the forward's GEMM):
//   rows m = input channel, columns n = (batch, iy, ix), reduction k = (output channel, ky, kx).
// dx[b,ci,iy,ix] = sum dy[b,co,oy,ox] * W[co,ci,ky,kx] over the (oy, ox) that reached (iy, ix) through (ky, kx):
// oy = (iy + pad - ky) / stride when that divides exactly and lands inside dy. Input rows and columns that no
// window reached (PyTorch floors the output size) get no term, hence 0.

struct Conv {
  batch: u32, inChannels: u32, inH: u32, inW: u32,
  outChannels: u32, outH: u32, outW: u32, kH: u32,
  kW: u32, stride: u32, pad: u32, _unused: u32,
}

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.inChannels, p.batch * p.inH * p.inW, p.outChannels * p.kH * p.kW);
}

fn loadA(m: u32, k: u32) -> f32 {
  // k = (co, ky, kx), so W[co, m, ky, kx].
  let kArea = p.kH * p.kW;
  let co = k / kArea;
  return w[(co * p.inChannels + m) * kArea + k % kArea];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kArea = p.kH * p.kW;
  let co = k / kArea;
  let kr = k % kArea;
  let ky = kr / p.kW;
  let kx = kr % p.kW;
  let inArea = p.inH * p.inW;
  let b = n / inArea;
  let pix = n % inArea;
  let iy = pix / p.inW;
  let ix = pix % p.inW;
  // i32: positions left of or above the padded border are negative.
  let ty = i32(iy + p.pad) - i32(ky);
  let tx = i32(ix + p.pad) - i32(kx);
  if (ty < 0 || tx < 0) { return 0.0; }
  let sy = u32(ty);
  let sx = u32(tx);
  if (sy % p.stride != 0u || sx % p.stride != 0u) { return 0.0; }
  let oy = sy / p.stride;
  let ox = sx / p.stride;
  if (oy >= p.outH || ox >= p.outW) { return 0.0; }
  return dy[((b * p.outChannels + co) * p.outH + oy) * p.outW + ox];
}

fn storeC(m: u32, n: u32, acc: f32) {
  let inArea = p.inH * p.inW;
  dx[((n / inArea) * p.inChannels + m) * inArea + n % inArea] = acc;
}
