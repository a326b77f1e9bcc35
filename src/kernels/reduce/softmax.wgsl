// Row-wise softmax over [rows, classes], max-subtracted for stability. One workgroup per row; the max and
// the sum are tree reductions in workgroup memory.

struct Params { rows: u32, classes: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> scratch: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let base = wg.x * p.classes;
  var m = -3.402823e38;
  for (var i = lid.x; i < p.classes; i += 64u) { m = max(m, x[base + i]); }
  scratch[lid.x] = m;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { scratch[lid.x] = max(scratch[lid.x], scratch[lid.x + s]); }
    workgroupBarrier();
  }
  let rowMax = scratch[0];
  workgroupBarrier();
  var total = 0.0;
  for (var i = lid.x; i < p.classes; i += 64u) { total += exp(x[base + i] - rowMax); }
  scratch[lid.x] = total;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { scratch[lid.x] += scratch[lid.x + s]; }
    workgroupBarrier();
  }
  let denominator = scratch[0];
  for (var i = lid.x; i < p.classes; i += 64u) { y[base + i] = exp(x[base + i] - rowMax) / denominator; }
}
