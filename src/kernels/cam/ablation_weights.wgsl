// AblationCAM's weights: w[n, c] = (y - y_c) / y with y = logits[n, target_n], the unablated score, and y_c the
// score with channel c ablated (scores [N, C]), in f32 as the library's NumPy does.

struct Params { count: u32, channels: u32, classes: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> weights: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let n = i / p.channels;
  let y = logits[n * p.classes + targets[n]];
  weights[i] = (y - scores[i]) / y;
}
