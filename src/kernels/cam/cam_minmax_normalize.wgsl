// Per-image min-max normalisation (Grad-CAM steps 3 and 5, pytorch-grad-cam's scale_cam_image):
// m = v - min; m = m / (1e-7 + max(m)), with CLAMP a leading v = max(0, v) (step 5; step 3's input is already
// >= 0). One workgroup per image: planes reach 1000x800, so a strided loop, then tree reductions.

struct Params { images: u32, area: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn load(i: u32) -> f32 {
  if (CLAMP) { return max(x[i], 0.0); }
  return x[i];
}

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  let base = n * p.area;
  var lo = 3.402823e38;
  var hi = -3.402823e38;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) {
      let v = load(base + i);
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  let mn = workgroupMin(lo, lid.x);
  let mx = workgroupMax(hi, lid.x);
  if (!valid) { return; }
  // max(v - min) is max(v) - min exactly: float subtraction rounds monotonically.
  let denominator = 1e-7 + (mx - mn);
  for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { y[base + i] = (load(base + i) - mn) / denominator; }
}
