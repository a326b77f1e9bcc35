// Per image, the change of the target's score: after[n, t_n] - before[n, t_n] on logits [N, classes]
// (pytorch-grad-cam's PerturbationConfidenceMetric with return_diff and ClassifierOutputTarget: no softmax).

struct Params { count: u32, classes: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> before: array<f32>;
@group(0) @binding(2) var<storage, read> after: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<u32>;
@group(0) @binding(4) var<storage, read_write> change: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (n >= p.count) { return; }
  let k = n * p.classes + targets[n];
  change[n] = after[k] - before[k];
}
