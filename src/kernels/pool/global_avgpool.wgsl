// Global average pool: [N, C, H, W] -> [N, C]. One workgroup per (n, c) plane: a strided sum by REDUCE_THREADS
// threads, then the shared reduction (reduce/workgroup_reduce.wgsl, or serial_reduce.wgsl with one thread on
// adapters that run that faster), so large planes (Grad-CAM on early layers) stay parallel on a GPU.

struct Params { planes: u32, area: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let plane = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = plane < p.planes;
  var s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { s += x[plane * p.area + i]; }
  }
  let total = workgroupSum(s, lid.x);
  if (valid && lid.x == 0u) { y[plane] = total / f32(p.area); }
}
