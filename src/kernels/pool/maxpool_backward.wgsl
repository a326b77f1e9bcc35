// Max pool backward as a gather: each input element sums dy over the outputs whose window covers it and whose
// argmax (flat index within the plane, from the forward) is this element. No atomics, and the summation order
// is fixed (row-major over the covering outputs), so the result is deterministic.

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32,
  outW: u32, kernel: u32, stride: u32, pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// Outputs o whose window [o*stride - pad, o*stride - pad + kernel) covers input i, clamped to [0, outSize):
// o >= ceil((i + pad - kernel + 1) / stride) and o <= floor((i + pad) / stride). Returns [first, end).
fn covering(i: u32, outSize: u32) -> vec2u {
  let low = i32(i + p.pad) - i32(p.kernel) + 1;
  var first = 0u;
  if (low > 0) { first = (u32(low) + p.stride - 1u) / p.stride; }
  let end = min((i + p.pad) / p.stride + 1u, outSize);
  return vec2u(first, max(first, end));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  let inArea = p.inH * p.inW;
  if (i >= p.planes * inArea) { return; }
  let plane = i / inArea;
  let index = i % inArea;
  let rows = covering(index / p.inW, p.outH);
  let cols = covering(index % p.inW, p.outW);
  let base = plane * p.outH * p.outW;
  var g = 0.0;
  for (var oy = rows.x; oy < rows.y; oy++) {
    for (var ox = cols.x; ox < cols.y; ox++) {
      let o = base + oy * p.outW + ox;
      if (argmax[o] == index) { g += dy[o]; }
    }
  }
  dx[i] = g;
}
