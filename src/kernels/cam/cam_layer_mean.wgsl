// Multi-layer Grad-CAM (pytorch-grad-cam's aggregate_multi_layer): the mean over layers of max(0, map), from the
// per-layer maps stacked as [layers, count]. Summed in layer order, then divided, as numpy's float32 mean.

struct Params { count: u32, layers: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  var s = 0.0;
  for (var l = 0u; l < p.layers; l++) { s += max(x[l * p.count + i], 0.0); }
  y[i] = s / f32(p.layers);
}
