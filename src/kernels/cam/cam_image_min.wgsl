// The minimum of each image of x [N, ...] (everything after the first axis) -> [N]. AblationCAM's ablation
// value depends on it. One workgroup per image.

struct Params { images: u32, area: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> minimum: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  var lo = 3.402823e38;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { lo = min(lo, x[n * p.area + i]); }
  }
  let mn = workgroupMin(lo, lid.x);
  if (valid && lid.x == 0u) { minimum[n] = mn; }
}
