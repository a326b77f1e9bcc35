// A conv's input as explicit columns ("im2col"), the B operand of its forward and weight gradient as plain
// matrices:
//   cols[(ci, ky, kx), (b, oy, ox)] = x[b, ci, oy * STRIDE + ky - PAD, ox * STRIDE + kx - PAD], 0 in the padding.
// The forward reads it as its B, [K, N]; the weight gradient as the transpose of its B, [N, K] (a pixel-major
// copy measured no faster for it, on either CPU adapter).
// For the direct GEMM core (shared/gemm_tile_direct.wgsl), which reads each B element once per 8 rows of the
// product instead of once per workgroup: the window's divisions and bounds tests are then paid once per element
// here, not 8-64 times inside the GEMM. One thread per column entry, consecutive threads on consecutive
// addresses.
struct Im2Col { count: u32, batch: u32, inChannels: u32, _pad: u32 }

// `p`, with the `inChannels` that conv_input_window.wgsl reads.
@group(0) @binding(0) var<uniform> p: Im2Col;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let outArea = OUT_H * OUT_W;
  let columns = p.batch * outArea;
  let row = i / columns;
  let n = i % columns;
  cols[i] = inputWindow(imageOf(n, outArea), row / (KH * KW), pixelIn(n, outArea), row % (KH * KW));
}
