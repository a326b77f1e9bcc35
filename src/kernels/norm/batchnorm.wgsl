// Batchnorm in eval mode as a per-channel affine map on NCHW: y = x * scale[c] + shift[c], with
// scale = gamma / sqrt(running_var + eps) and shift = beta - running_mean * scale precomputed once per model.
// Optional fused ReLU (constant RELU).

struct Params { count: u32, channels: u32, area: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let c = (i / p.area) % p.channels;
  var v = x[i] * scale[c] + shift[c];
  if (RELU) { v = max(v, 0.0); }
  y[i] = v;
}
