// Gather the target class's logit of each row of a batch of logits [B, classes] into a score vector:
// scores[offset + b] = logits[b, target]. ScoreCAM and AblationCAM collect one score per masked forward.

struct Params { rows: u32, classes: u32, targetClass: u32, offset: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let b = flatWorkgroupId(wg, groups) * 64u + lid.x;
  if (b >= p.rows) { return; }
  scores[p.offset + b] = logits[b * p.classes + p.targetClass];
}
