// Input gradient of train-mode batchnorm on NCHW, where the batch mean and variance depend on x:
//   dx = gamma * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)),  xhat = (x - mean) * invstd,
// M = N*H*W per channel, with the two per-channel sums from channel_reduce. Written as
// gamma * invstd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M) so that no term grows with M.

struct Params { count: u32, channels: u32, area: u32, perChannel: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> invstd: array<f32>;
@group(0) @binding(6) var<storage, read> sumDy: array<f32>;
@group(0) @binding(7) var<storage, read> sumDyXhat: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let c = (i / p.area) % p.channels;
  let inv = invstd[c];
  let m = f32(p.perChannel);
  let xhat = (x[i] - mean[c]) * inv;
  dx[i] = gamma[c] * inv * (dy[i] - sumDy[c] / m - xhat * (sumDyXhat[c] / m));
}
