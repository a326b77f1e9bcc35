// Per-channel sums over (n, h, w) of an NCHW gradient: sumDy[c] = sum dy, and with XHAT also
// sumDyXhat[c] = sum dy * xhat, xhat = (x - mean[c]) * invstd[c] (batchnorm's dbeta and dgamma; the column sums
// of a [rows, features] gradient are the case area = 1). With VARIANCE the fourth buffer holds the variance
// and invstd = 1 / sqrt(var + eps) is formed here (eval mode: running statistics, nothing folded yet).
// One workgroup per channel: strided partial sums, then tree reductions (reduce/workgroup_reduce.wgsl), so the
// order of the additions is fixed and the result deterministic.

struct Params { batch: u32, channels: u32, area: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> invstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> sumDy: array<f32>;
@group(0) @binding(6) var<storage, read_write> sumDyXhat: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = c < p.channels;
  var s = 0.0;
  var sx = 0.0;
  if (valid) {
    var mu = 0.0;
    var inv = 0.0;
    if (XHAT) {
      mu = mean[c];
      inv = invstd[c];
      if (VARIANCE) { inv = 1.0 / sqrt(inv + p.eps); }
    }
    let count = p.batch * p.area;
    for (var j = lid.x; j < count; j += REDUCE_THREADS) {
      let index = ((j / p.area) * p.channels + c) * p.area + j % p.area;
      let g = dy[index];
      s += g;
      if (XHAT) { sx += g * ((x[index] - mu) * inv); }
    }
  }
  let totals = workgroupSum2(vec2f(s, sx), lid.x);
  if (valid && lid.x == 0u) {
    sumDy[c] = totals.x;
    if (XHAT) { sumDyXhat[c] = totals.y; }
  }
}
