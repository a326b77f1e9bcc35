// The first half of the input gradient for convs with few input channels (the stem has 3): the columns
//   cols[(ci, ky, kx), (b, oy, ox)] = sum over co of W[co, ci, ky, kx] * dy[b, co, oy, ox]
// as one GEMM with rows m = (ci, ky, kx), columns n = (b, oy, ox), reduction k = co. The window form
// (conv2d_backward_input.wgsl) has one row per input channel, so for the stem a tile of 8 rows carries 3 and the
// GEMM runs at a fraction of its speed; here the stem has 147 rows. col2im.wgsl then sums each input pixel's
// taps from these columns.

// Tile load order (see the GEMM core): A = W[k, m] is contiguous along m; B = dy along the pixels n.
const A_M_CONTIGUOUS: bool = true;
const B_K_CONTIGUOUS: bool = false;

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> cols: array<f32>;

fn gemmDims() -> vec3u {
  return vec3u(p.inChannels * KH * KW, p.batch * OUT_H * OUT_W, p.outChannels);
}

fn loadA(m: u32, k: u32) -> f32 {
  return w[k * p.inChannels * KH * KW + m]; // W[co = k] viewed as [co, (ci, ky, kx)]
}

fn loadB(k: u32, n: u32) -> f32 {
  let outArea = OUT_H * OUT_W;
  return dy[(imageOf(n, outArea) * p.outChannels + k) * outArea + pixelIn(n, outArea)];
}

fn storeC(m: u32, n: u32, acc: f32) {
  cols[m * p.batch * OUT_H * OUT_W + n] = acc;
}
