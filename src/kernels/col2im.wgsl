// The second half of the input gradient by columns (see conv2d_backward_input_columns.wgsl): each input pixel
// sums the column entries of the taps that reached it,
//   dx[b, ci, iy, ix] = sum of cols[(ci, ky, kx), (b, oy, ox)] over oy * STRIDE + ky - PAD = iy and
//                       ox * STRIDE + kx - PAD = ix.
// One thread per input element, so there are no atomics and the sum order is fixed. Only taps with
// ky = (iy + PAD) mod STRIDE + STRIDE * t divide exactly; the loops step over those alone.
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
  var sum = 0.0;
  for (var ky = (iy + PAD) % STRIDE; ky < KH; ky += STRIDE) {
    // oy * STRIDE = iy + PAD - ky shrinks as ky grows: once above the top edge, every later tap is too.
    let oyStrided = i32(iy + PAD) - i32(ky);
    if (oyStrided < 0) { break; }
    let oy = u32(oyStrided) / STRIDE;
    if (oy >= OUT_H) { continue; }
    for (var kx = (ix + PAD) % STRIDE; kx < KW; kx += STRIDE) {
      let oxStrided = i32(ix + PAD) - i32(kx);
      if (oxStrided < 0) { break; }
      let ox = u32(oxStrided) / STRIDE;
      if (ox >= OUT_W) { continue; }
      sum += cols[((ci * KH + ky) * KW + kx) * columns + (b * OUT_H + oy) * OUT_W + ox];
    }
  }
  dx[i] = sum;
}
