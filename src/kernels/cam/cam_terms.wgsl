// The terms of a CAM's channel combination, camTerm(n, c, i) for every element of [N, C, h*w] (cam_term.wgsl):
// the weighted activations that eigen_smooth projects on their first principal component. One thread each.

struct Params { count: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (k >= p.count) { return; }
  let i = k % p.area;
  let plane = k / p.area;
  y[k] = camTerm(plane / p.channels, plane % p.channels, i);
}
