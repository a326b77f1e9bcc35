// The second half of the input gradient by columns (see conv2d_backward_input_columns.wgsl): each input pixel
// sums the column entries of the taps that reached it,
//   dx[b, ci, iy, ix] = sum of cols[(ci, ky, kx), (b, oy, ox)] over oy * STRIDE + ky - PAD = iy and
//                       ox * STRIDE + kx - PAD = ix.
// One thread per input element, so there are no atomics and the sum order is fixed. The loops run over the
// output pixels (oy, ox) whose window holds the input pixel, each with its one tap.
struct Col2Im { count: u32, batch: u32, inChannels: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> q: Col2Im;
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= q.count) { return; }
  let ix = i % IN_W;
  let iy = (i / IN_W) % IN_H;
  let ci = (i / (IN_W * IN_H)) % q.inChannels;
  let b = i / (IN_W * IN_H * q.inChannels);
  let columns = q.batch * OUT_H * OUT_W;
  // The output rows oy whose tap ky = iy + PAD - oy * STRIDE lies in [0, KH), inclusive: [oyFirst, oyLast].
  // Found once per pixel, so the loops below divide nothing (integer division is scalarised on SwiftShader,
  // and the per-tap form was most of col2im's time there).
  let oyFirst = select(0u, (iy + PAD + STRIDE - KH) / STRIDE, iy + PAD + 1u > KH);
  let oyLast = min((iy + PAD) / STRIDE, OUT_H - 1u);
  let oxFirst = select(0u, (ix + PAD + STRIDE - KW) / STRIDE, ix + PAD + 1u > KW);
  let oxLast = min((ix + PAD) / STRIDE, OUT_W - 1u);
  let channelRows = ci * KH * KW;
  let imageColumns = b * OUT_H * OUT_W;
  var sum = 0.0;
  for (var oy = oyFirst; oy <= oyLast; oy++) {
    let ky = iy + PAD - oy * STRIDE;
    let rowStart = imageColumns + oy * OUT_W;
    for (var ox = oxFirst; ox <= oxLast; ox++) {
      let kx = ix + PAD - ox * STRIDE;
      sum += cols[(channelRows + ky * KW + kx) * columns + rowStart + ox];
    }
  }
  dx[i] = sum;
}
