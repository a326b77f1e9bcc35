// The conv forward's split-K finish: y[i] = epilogue(sum over slices s of partial[s * count + i]), where
// `partial` (bound as `x`) holds conv2d.wgsl's SLICED partial sums, each slice laid out as y [N, C, H, W].
// Slices are added in order, so the result does not depend on scheduling. The epilogue is the forward's own
// (conv/conv_epilogue.wgsl, its steps in the uniform), applied once to the whole sum.

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let outArea = OUT_H * OUT_W;
  let count = p.batch * p.outChannels * outArea;
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  // The forward's weights (binding 2) are not read here; named so that the automatic layout keeps the bindings
  // of conv/conv_epilogue.wgsl as they are.
  _ = &w;
  if (i >= count) { return; }
  let k = p.inChannels * KH * KW;
  let splits = (k + p.sliceK - 1u) / p.sliceK;
  var s = 0.0;
  for (var z = 0u; z < splits; z++) { s += x[z * count + i]; }
  storeOutput((i / outArea) % p.outChannels, i, s);
}
