// The maximum over all pixels and channels of each image of the blended overlay (show_cam_on_image's
// cam / max(cam)). One workgroup per image: a strided loop over its H*W*3 bytes, then a tree reduction.

@group(0) @binding(4) var<storage, read_write> camMax: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  let bytes = p.area * 3u;
  var m = -3.402823e38;
  if (valid) {
    for (var k = lid.x; k < bytes; k += REDUCE_THREADS) { m = max(m, blend(n * bytes + k)); }
  }
  let r = workgroupMax(m, lid.x);
  if (valid && lid.x == 0u) { camMax[n] = r; }
}
