// Sum of the K slices of a split-K GEMM: y[i] = sum over s of partial[s * count + i], in slice order so that
// the result does not depend on scheduling.
struct Params { count: u32, splits: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.splits; k++) { s += partial[k * p.count + i]; }
  y[i] = s;
}
