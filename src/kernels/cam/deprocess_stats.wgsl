// The statistics of pytorch-grad-cam's deprocess_image for each image of x [N, C, H, W] (over all its C*H*W
// values, as np.mean and np.std of the HWC array): out[2n] = mean(v), out[2n + 1] = std(v - mean(v)), the latter
// as numpy computes it on the centred array (its own mean subtracted again, population variance).
// One workgroup per image: strided loops, then tree reductions (reduce/workgroup_reduce.wgsl).

struct Params { images: u32, size: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  let base = n * p.size;
  let count = f32(p.size);
  var s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.size; i += REDUCE_THREADS) { s += x[base + i]; }
  }
  let mean = workgroupSum(s, lid.x) / count;
  // np.std of the centred array d = v - mean first takes d's own mean (near zero, not exactly).
  s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.size; i += REDUCE_THREADS) { s += x[base + i] - mean; }
  }
  let centredMean = workgroupSum(s, lid.x) / count;
  s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.size; i += REDUCE_THREADS) {
      let e = (x[base + i] - mean) - centredMean;
      s += e * e;
    }
  }
  let variance = workgroupSum(s, lid.x) / count;
  if (valid && lid.x == 0u) {
    stats[2u * n] = mean;
    stats[2u * n + 1u] = sqrt(variance);
  }
}
