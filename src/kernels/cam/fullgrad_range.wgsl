// The minimum and maximum of FullGrad's saliency term (fullgrad_term.wgsl) over each plane (n, c) of
// grad [N, C, h, w]: ranges[2 * plane] = min, ranges[2 * plane + 1] = max. They are scale_cam_image's, which the
// library applies to every channel of every image (scale_accross_batch_and_channels).
// One workgroup per plane: a strided loop, then tree reductions (reduce/workgroup_reduce.wgsl).

struct Params { planes: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> factor: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> ranges: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let plane = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = plane < p.planes;
  let c = plane % p.channels;
  let base = plane * p.area;
  var lo = 3.402823e38;
  var hi = -3.402823e38;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) {
      let v = fullGradTerm(base + i, c);
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  let mn = workgroupMin(lo, lid.x);
  let mx = workgroupMax(hi, lid.x);
  if (valid && lid.x == 0u) {
    ranges[2u * plane] = mn;
    ranges[2u * plane + 1u] = mx;
  }
}
