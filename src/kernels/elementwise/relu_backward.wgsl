// ReLU backward, elementwise: dx = dy where y > 0, else 0. y is the forward output (y > 0 exactly where the
// input was > 0), so an in-place or fused ReLU need not keep its input. 0 at y == 0, as PyTorch.
struct Params { count: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  dx[i] = select(0.0, dy[i], y[i] > 0.0);
}
