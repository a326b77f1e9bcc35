// Train-mode batchnorm statistics on NCHW, one workgroup per channel (reduce/workgroup_reduce.wgsl): the batch
// mean, then the biased variance as the mean of (x - mean)^2 (two passes: no cancellation between sum(x^2) and
// mean^2). Writes, per channel, the rows of stats [4, C]: mean, invstd = 1 / sqrt(var + eps), and the affine
// fold scale = gamma * invstd,
// shift = beta - mean * scale for the normalisation (one block: 8 storage bindings is the portable limit).
// Updates the running statistics in place as PyTorch: r = (1 - momentum) * r + momentum * batch value, with
// the unbiased variance var * count / (count - 1).

struct Params { batch: u32, channels: u32, area: u32, momentum: f32, eps: f32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

fn channelIndex(j: u32, c: u32) -> u32 {
  return ((j / p.area) * p.channels + c) * p.area + j % p.area;
}

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = c < p.channels;
  let count = p.batch * p.area;
  var s = 0.0;
  if (valid) {
    for (var j = lid.x; j < count; j += REDUCE_THREADS) { s += x[channelIndex(j, c)]; }
  }
  let mean = workgroupSum(s, lid.x) / f32(count);
  var q = 0.0;
  if (valid) {
    for (var j = lid.x; j < count; j += REDUCE_THREADS) {
      let d = x[channelIndex(j, c)] - mean;
      q += d * d;
    }
  }
  let variance = workgroupSum(q, lid.x) / f32(count);
  if (valid && lid.x == 0u) {
    let invstd = 1.0 / sqrt(variance + p.eps);
    let scale = gamma[c] * invstd;
    stats[c] = mean;
    stats[p.channels + c] = invstd;
    stats[2u * p.channels + c] = scale;
    stats[3u * p.channels + c] = beta[c] - mean * scale;
    let unbiased = variance * f32(count) / f32(count - 1u);
    runningMean[c] = (1.0 - p.momentum) * runningMean[c] + p.momentum * mean;
    runningVar[c] = (1.0 - p.momentum) * runningVar[c] + p.momentum * unbiased;
  }
}
