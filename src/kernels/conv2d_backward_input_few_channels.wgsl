// Conv2d input gradient for convs with at most 4 input channels (the stem has 3), one dispatch per stride phase
// (see conv2d_backward_input.wgsl for the phases and their constants), for the direct GEMM core's adapters.
//
// Why not a GEMM: the phase GEMM has one row per input channel, so 3 of every 8 rows carry work; the columns
// form (147 rows) reduces over only the 64 output channels and writes 7.4 MB of columns for col2im to gather
// again (bench/NOTES.md). Here each thread owns 8 neighbouring pixels of one phase row and all input channels,
// and reduces over every (output channel, tap) that reaches them, 784 terms for the stem, straight into dx.
//
// Along x, pixel j of the thread takes tap tx from dy column qx0 + j + DY_OFF_X - tx, so for one dy row the 8
// pixels and all TAPS_X taps read one window of 8 + TAPS_X - 1 neighbouring values. The window is loaded once
// per (output channel, tap row) and each tap reads it shifted by s = TAPS_X - 1 - tx: 8 multiply-adds per
// channel for every weight, about one load per 4 multiply-adds, as in the GEMM cores. TAPS_X is at most 4
// (the wrapper checks), so the window is 11 values in three vec4s and every shift is a fixed swizzle.
// Window columns outside dy read a clamped address and are multiplied by 0, so the loop has no branch per load.
// Input channels (IN_CHANNELS <= 4) are compile-time constants. Operands are rounded as the GEMMs' are (operand(),
// shared/f16_operand.wgsl), so f16 precision means the same here; sums are f32.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const PIXEL_GROUPS: u32 = (PHASE_W + 7u) / 8u;

// Window columns 4v to 4v + 3 of a thread whose window starts at dy column `first`: the clamped columns, and 1
// where the column lies inside dy, else 0.
fn windowColumns(first: i32, v: i32) -> vec4u {
  let last = i32(OUT_W) - 1;
  let c = vec4i(first + 4 * v) + vec4i(0, 1, 2, 3);
  return vec4u(clamp(c, vec4i(0), vec4i(last)));
}

fn windowMask(first: i32, v: i32) -> vec4f {
  let c = vec4i(first + 4 * v) + vec4i(0, 1, 2, 3);
  return select(vec4f(0.0), vec4f(1.0), (c >= vec4i(0)) & (c < vec4i(i32(OUT_W))));
}

fn dyWindow(row: u32, cols: vec4u, mask: vec4f) -> vec4f {
  let v = vec4f(operand(dy[row + cols.x]), operand(dy[row + cols.y]), operand(dy[row + cols.z]), operand(dy[row + cols.w]));
  return v * mask;
}

// W[co, c, ky, kx] for the input channels c, zero past IN_CHANNELS.
fn weights(co: u32, ky: u32, kx: u32) -> vec4f {
  let tap = ky * KW + kx;
  let channelStride = KH * KW;
  let first = co * IN_CHANNELS * channelStride + tap;
  var v = vec4f(operand(w[first]), 0.0, 0.0, 0.0);
  if (IN_CHANNELS > 1u) { v.y = operand(w[first + channelStride]); }
  if (IN_CHANNELS > 2u) { v.z = operand(w[first + 2u * channelStride]); }
  if (IN_CHANNELS > 3u) { v.w = operand(w[first + 3u * channelStride]); }
  return v;
}

// The thread's sums: c<c>_<h> holds input channel c of its pixels 4h to 4h + 3.
struct Sums {
  c0_0: vec4f, c0_1: vec4f, c1_0: vec4f, c1_1: vec4f,
  c2_0: vec4f, c2_1: vec4f, c3_0: vec4f, c3_1: vec4f,
}

// One tap: every input channel's weight (wc) times the thread's 8 pixels' dy values (px0, px1).
fn accumulate(a: Sums, wc: vec4f, px0: vec4f, px1: vec4f) -> Sums {
  var r = a;
  r.c0_0 = fma(vec4f(wc.x), px0, r.c0_0); r.c0_1 = fma(vec4f(wc.x), px1, r.c0_1);
  if (IN_CHANNELS > 1u) { r.c1_0 = fma(vec4f(wc.y), px0, r.c1_0); r.c1_1 = fma(vec4f(wc.y), px1, r.c1_1); }
  if (IN_CHANNELS > 2u) { r.c2_0 = fma(vec4f(wc.z), px0, r.c2_0); r.c2_1 = fma(vec4f(wc.z), px1, r.c2_1); }
  if (IN_CHANNELS > 3u) { r.c3_0 = fma(vec4f(wc.w), px0, r.c3_0); r.c3_1 = fma(vec4f(wc.w), px1, r.c3_1); }
  return r;
}

// The kernel column of the tap that window shift s stands for (s = TAPS_X - 1 - tx). Written so that no
// constant expression goes below zero when a phase has no taps (such a shader must still compile).
fn tapColumn(s: u32) -> u32 {
  return TAP0_X + STRIDE * (TAPS_X - (s + 1u));
}

// Four pixels of channel c of one input row: dx[b, c, iy, PHASE_X + STRIDE * (q0 + i)] for i < 4 inside the phase.
fn store4(b: u32, c: u32, iy: u32, q0: u32, v: vec4f) {
  if (c >= IN_CHANNELS) { return; }
  let row = ((b * IN_CHANNELS + c) * IN_H + iy) * IN_W + PHASE_X;
  for (var i = 0u; i < 4u; i++) {
    if (q0 + i < PHASE_W) { dx[row + STRIDE * (q0 + i)] = v[i]; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 64u + lid.x;
  if (t >= p.batch * PHASE_H * PIXEL_GROUPS) { return; }
  let qx0 = 8u * (t % PIXEL_GROUPS);
  let row = t / PIXEL_GROUPS;
  let qy = row % PHASE_H;
  let b = row / PHASE_H;

  // The window's first dy column, and its columns and masks (they depend on the thread only).
  let first = i32(qx0 + DY_OFF_X) - i32(TAPS_X) + 1;
  let cols0 = windowColumns(first, 0); let cols1 = windowColumns(first, 1); let cols2 = windowColumns(first, 2);
  let mask0 = windowMask(first, 0); let mask1 = windowMask(first, 1); let mask2 = windowMask(first, 2);

  var sums = Sums();
  for (var ty = 0u; ty < TAPS_Y; ty++) {
    let oy = i32(qy + DY_OFF_Y) - i32(ty);
    if (oy < 0 || oy >= i32(OUT_H)) { continue; }
    let ky = TAP0_Y + STRIDE * ty;
    for (var co = 0u; co < p.outChannels; co++) {
      let dyRow = ((b * p.outChannels + co) * OUT_H + u32(oy)) * OUT_W;
      let win0 = dyWindow(dyRow, cols0, mask0);
      let win1 = dyWindow(dyRow, cols1, mask1);
      let win2 = dyWindow(dyRow, cols2, mask2);
      // Shift s: pixels 0-3 read window entries s to s + 3, pixels 4-7 entries s + 4 to s + 7.
      if (TAPS_X > 0u) { sums = accumulate(sums, weights(co, ky, tapColumn(0u)), win0, win1); }
      if (TAPS_X > 1u) {
        sums = accumulate(sums, weights(co, ky, tapColumn(1u)), vec4f(win0.yzw, win1.x), vec4f(win1.yzw, win2.x));
      }
      if (TAPS_X > 2u) {
        sums = accumulate(sums, weights(co, ky, tapColumn(2u)), vec4f(win0.zw, win1.xy), vec4f(win1.zw, win2.xy));
      }
      if (TAPS_X > 3u) {
        sums = accumulate(sums, weights(co, ky, tapColumn(3u)), vec4f(win0.w, win1.xyz), vec4f(win1.w, win2.xyz));
      }
    }
  }

  let iy = PHASE_Y + STRIDE * qy;
  store4(b, 0u, iy, qx0, sums.c0_0); store4(b, 0u, iy, qx0 + 4u, sums.c0_1);
  store4(b, 1u, iy, qx0, sums.c1_0); store4(b, 1u, iy, qx0 + 4u, sums.c1_1);
  store4(b, 2u, iy, qx0, sums.c2_0); store4(b, 2u, iy, qx0 + 4u, sums.c2_1);
  store4(b, 3u, iy, qx0, sums.c3_0); store4(b, 3u, iy, qx0 + 4u, sums.c3_1);
}
