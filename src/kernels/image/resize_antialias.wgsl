// One pass of PIL's antialiased bilinear resize (Image.resize with BILINEAR), on 8-bit RGB(A) pixels packed one
// per u32. PIL resizes separably, horizontal pass first, each pass with fixed-point integer coefficients
// (22 fraction bits) and a clamp to 0..255 after the pass; doing the same here makes the bytes match PIL's.
// Constant HORIZONTAL picks the axis. Each output pixel reads `taps[o]` inputs from `first[o]` on.

struct Params {
  inW: u32, inH: u32, outW: u32, outH: u32,
  kernelSize: u32, outRowOffset: u32, _a: u32, _b: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> first: array<u32>;
@group(0) @binding(3) var<storage, read> taps: array<u32>;
@group(0) @binding(4) var<storage, read> coeffs: array<i32>;
@group(0) @binding(5) var<storage, read_write> dst: array<u32>;

const PRECISION_BITS: u32 = 22u;

fn channel(pixel: u32, c: u32) -> i32 {
  return i32((pixel >> (8u * c)) & 0xffu);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.outW * p.outH) { return; }
  let ox = i % p.outW;
  let oy = i / p.outW;
  // o: the index along the resized axis; its coefficients and the input stride along that axis.
  var o = oy;
  var start = 0u;
  var step = p.inW;
  if (HORIZONTAL) {
    o = ox;
    start = oy * p.inW;
    step = 1u;
  } else {
    start = ox;
  }
  // PIL starts each sum at half a unit, so the final shift rounds to nearest.
  var acc = vec3i(1 << (PRECISION_BITS - 1u));
  let base = first[o];
  for (var k = 0u; k < taps[o]; k++) {
    let pixel = src[start + (base + k) * step];
    let w = coeffs[o * p.kernelSize + k];
    acc += vec3i(channel(pixel, 0u), channel(pixel, 1u), channel(pixel, 2u)) * w;
  }
  let v = clamp(acc >> vec3u(PRECISION_BITS), vec3i(0), vec3i(255));
  dst[(oy + p.outRowOffset) * p.outW + ox] = u32(v.x) | (u32(v.y) << 8u) | (u32(v.z) << 16u);
}
