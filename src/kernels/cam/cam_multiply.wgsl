// x [N, C, H, W] times a map [N, H, W] broadcast over channels: the CAM-multiply perturbation
// (pytorch-grad-cam's multiply_tensor_with_cam) and Guided Grad-CAM's map * guided backprop.

struct Params { count: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> map: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let n = i / (p.channels * p.area);
  y[i] = x[i] * map[n * p.area + i % p.area];
}
