// The second half of the input gradient by columns (see conv2d_backward_input_columns.wgsl): each input pixel
// sums the column entries of the taps that reached it,
//   dx[b, ci, iy, ix] = sum of cols[(ci, ky, kx), (b, oy, ox)] over oy * STRIDE + ky - PAD = iy and
//                       ox * STRIDE + kx - PAD = ix.
// One thread per input element, so there are no atomics and the sum order is fixed. The loops run over the
// output pixels (oy, ox) whose window holds the input pixel, each with its one tap, in a fixed number of steps:
// ceil(K / STRIDE) per axis, the steps past the pixel's last window adding 0 (from a clamped, valid address).
// At stride 2 neighbouring pixels have 1 or 2 taps per axis, and on lavapipe, which runs neighbouring threads
// as SIMD lanes, loops of different lengths cost a quarter of col2im's time (bench/NOTES.md).
// Each sum then goes through the input gradient's fused epilogue (conv_input_grad_epilogue.wgsl).
struct Col2Im { count: u32, batch: u32, inChannels: u32, _pad: u32 }

const TAPS_Y_MAX: u32 = (KH + STRIDE - 1u) / STRIDE;
const TAPS_X_MAX: u32 = (KW + STRIDE - 1u) / STRIDE;

@group(0) @binding(0) var<uniform> q: Col2Im;
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

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
  for (var ty = 0u; ty < TAPS_Y_MAX; ty++) {
    let oy = oyFirst + ty;
    let rowValid = oy <= oyLast;
    let oyc = min(oy, oyLast);
    let ky = min(iy + PAD - oyc * STRIDE, KH - 1u);
    let rowStart = imageColumns + oyc * OUT_W;
    for (var tx = 0u; tx < TAPS_X_MAX; tx++) {
      let ox = oxFirst + tx;
      let valid = rowValid && ox <= oxLast;
      let oxc = min(ox, oxLast);
      let kx = min(ix + PAD - oxc * STRIDE, KW - 1u);
      sum += select(0.0, cols[(channelRows + ky * KW + kx) * columns + rowStart + oxc], valid);
    }
  }
  dx[i] = inputGradEpilogue(ci, i, sum);
}
