// The input gradient's K slices added (split-K, stride 1: conv2d_backward_input.wgsl with SLICED), then its
// fused epilogue (conv_input_grad_epilogue.wgsl): dx[i] = epilogue(sum over s of partial[s * count + i]), in
// slice order so that the result does not depend on scheduling.
struct SplitSum { count: u32, splits: u32, channels: u32, area: u32 }

@group(0) @binding(0) var<uniform> q: SplitSum;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= q.count) { return; }
  var s = 0.0;
  for (var k = 0u; k < q.splits; k++) { s += partial[k * q.count + i]; }
  dx[i] = inputGradEpilogue((i / q.area) % q.channels, i, s);
}
