// Global average pool: [N, C, H, W] -> [N, C]. One workgroup per (n, c) plane: a strided sum by 64 threads,
// then a tree reduction in workgroup memory, so large planes (Grad-CAM on early layers) stay parallel.

struct Params { planes: u32, area: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let plane = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = plane < p.planes;
  var s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.area; i += 64u) { s += x[plane * p.area + i]; }
  }
  partial[lid.x] = s;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { partial[lid.x] += partial[lid.x + stride]; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) { y[plane] = partial[0] / f32(p.area); }
}
