// Max pool (ResNet50's 3x3, stride 2, padding 1, but any size works) on NCHW. Padding counts as -inf.
// Also writes, per output, the flat index within its input plane of the maximum, for the backward pass.
// Tie rule as PyTorch's CPU kernel: scanning the window row by row, a value replaces the maximum when it is
// greater or NaN, so the first maximum wins.

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32,
  outW: u32, kernel: u32, stride: u32, pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  let outArea = p.outH * p.outW;
  if (i >= p.planes * outArea) { return; }
  let plane = i / outArea;
  let oy = (i % outArea) / p.outW;
  let ox = i % p.outW;
  let base = plane * p.inH * p.inW;
  var best = -3.402823e38;
  var bestIndex = 0xffffffffu;
  for (var ky = 0u; ky < p.kernel; ky++) {
    let iy = i32(oy * p.stride + ky) - i32(p.pad);
    if (iy < 0 || iy >= i32(p.inH)) { continue; }
    for (var kx = 0u; kx < p.kernel; kx++) {
      let ix = i32(ox * p.stride + kx) - i32(p.pad);
      if (ix < 0 || ix >= i32(p.inW)) { continue; }
      let index = u32(iy) * p.inW + u32(ix);
      let v = x[base + index];
      // `v != v` is the NaN test.
      if (bestIndex == 0xffffffffu || v > best || v != v) { best = v; bestIndex = index; }
    }
  }
  y[i] = best;
  argmax[i] = bestIndex;
}
