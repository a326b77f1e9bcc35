// Input gradient of eval-mode batchnorm on NCHW: the running statistics are constants, so the map is the
// per-channel affine y = x * scale[c] + shift[c] and dx = dy * scale[c].
// RELU_MASK: the batchnorm was followed by a fused ReLU whose output y is bound; dy first goes through that ReLU's
// backward (relu_grad.wgsl: plain, or guided with GUIDED).
// FOLD: scale is formed here as gamma[c] / sqrt(var[c] + eps) (the second buffer is gamma, the third var).

struct Params { count: u32, channels: u32, area: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let c = (i / p.area) % p.channels;
  var s = scale[c];
  if (FOLD) { s = s / sqrt(variance[c] + p.eps); }
  var g = dy[i];
  if (RELU_MASK) { g = reluGrad(g, y[i]); }
  dx[i] = g * s;
}
