// A conv's input as explicit columns ("im2col"), the B operand of its forward and weight gradient as plain
// matrices:
//   cols[(ci, ky, kx), (b, oy, ox)] = x[b, ci, oy * STRIDE + ky - PAD, ox * STRIDE + kx - PAD], 0 in the padding,
// The forward reads it as its B, [K, N]; the weight gradient as the transpose of its B, [N, K] (a pixel-major
// copy measured no faster for it, on either CPU adapter).
// For the untiled GEMM core (gemm_tile_untiled.wgsl), which reads each B element once per 8 rows of the
// product instead of once per workgroup: the window's divisions and bounds tests are then paid once per element
// here, not 8-64 times inside the GEMM. One thread per column row, image and output row (oy): it finds its input
// row once and copies outW() entries along it, so each entry costs a bounds test, not a dozen divisions. The
// spatial sizes come from the uniform, the shape class (KH, KW, STRIDE, PAD) as constants (conv/geometry.ts).
struct Im2Col { count: u32, batch: u32, inChannels: u32, inH: u32, inW: u32, outH: u32, outW: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Im2Col;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (t >= p.count) { return; }
  // t = ((row * batch) + b) * OUT_H + oy, row = (ci, ky, kx).
  let oy = t % outH();
  let rowImage = t / outH();
  let b = rowImage % p.batch;
  let row = rowImage / p.batch;
  let ci = row / (KH * KW);
  let tap = row % (KH * KW);
  let ky = tap / KW;
  let kx = tap % KW;
  // i32: rows and columns in the padding are negative.
  let iy = i32(oy * STRIDE + ky) - i32(PAD);
  let inRow = iy >= 0 && iy < i32(inH());
  let inStart = ((b * p.inChannels + ci) * inH() + u32(max(iy, 0))) * inW();
  let outStart = (row * p.batch + b) * outH() * outW() + oy * outW();
  for (var ox = 0u; ox < outW(); ox++) {
    let ix = i32(ox * STRIDE + kx) - i32(PAD);
    var v = 0.0;
    if (inRow && ix >= 0 && ix < i32(inW())) { v = x[inStart + u32(ix)]; }
    cols[outStart + ox] = v;
  }
}
