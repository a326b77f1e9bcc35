// Conv2d input gradient as an implicit GEMM over NCHW tensors (the transpose of the forward's GEMM):
//   rows m = input channel, columns n = (batch, iy, ix), reduction k = (output channel, ky, kx).
// dx[b,ci,iy,ix] = sum dy[b,co,oy,ox] * W[co,ci,ky,kx] over the (oy, ox) that reached (iy, ix) through (ky, kx):
// oy = (iy + pad - ky) / stride when that divides exactly and lands inside dy. Input rows and columns that no
// window reached (PyTorch floors the output size) get no term, hence 0.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.inChannels, p.batch * IN_H * IN_W, p.outChannels * KH * KW);
}

fn loadA(m: u32, k: u32) -> f32 {
  // k = (co, ky, kx), so W[co, m, ky, kx].
  let kArea = KH * KW;
  let co = k / kArea;
  return w[(co * p.inChannels + m) * kArea + k % kArea];
}

fn loadB(k: u32, n: u32) -> f32 {
  let kArea = KH * KW;
  let co = k / kArea;
  let kr = k % kArea;
  let ky = kr / KW;
  let kx = kr % KW;
  let inArea = IN_H * IN_W;
  let b = n / inArea;
  let pix = n % inArea;
  let iy = pix / IN_W;
  let ix = pix % IN_W;
  // i32: positions left of or above the padded border are negative.
  let ty = i32(iy + PAD) - i32(ky);
  let tx = i32(ix + PAD) - i32(kx);
  if (ty < 0 || tx < 0) { return 0.0; }
  let sy = u32(ty);
  let sx = u32(tx);
  if (sy % STRIDE != 0u || sx % STRIDE != 0u) { return 0.0; }
  let oy = sy / STRIDE;
  let ox = sx / STRIDE;
  if (oy >= OUT_H || ox >= OUT_W) { return 0.0; }
  return dy[((b * p.outChannels + co) * OUT_H + oy) * OUT_W + ox];
}

fn storeC(m: u32, n: u32, acc: f32) {
  let inArea = IN_H * IN_W;
  dx[((n / inArea) * p.inChannels + m) * inArea + n % inArea] = acc;
}
