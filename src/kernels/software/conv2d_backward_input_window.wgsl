// Conv2d input gradient without a GEMM, one dispatch per stride phase (see conv2d_backward_input.wgsl for the
// phases and their constants), for the adapters whose GEMMs run on the untiled core (CPU adapters).
//
// Why not a GEMM there: the untiled core cannot afford a window's arithmetic in its loads, so its input gradient
// was a columns GEMM (rows (ci, ky, kx), reduction over the output channels alone: K = 64 for the stem and
// layer1) that writes its columns for col2im to gather again, 7.4 MB for the stem; and with the stem's 3 input
// channels the phase GEMM would carry 3 rows in 8 (bench/NOTES.md). Here each thread owns 8 neighbouring pixels
// of one phase row and 8 input channels (4 when the channels are not a multiple of 8, all of them up to 4), and
// reduces over every (output channel, tap) that reaches them (784 terms for the stem, 576 for layer1's 3x3)
// straight into dx.
//
// Along x, pixel j of the thread takes tap tx from dy column qx0 + j + DY_OFF_X - tx, so for one dy row the 8
// pixels and all TAPS_X taps read one window of 8 + TAPS_X - 1 neighbouring values. The window is loaded once
// per (output channel, tap row) (row_window.wgsl), used by every tap and channel of the thread, and each
// tap reads it shifted by s = TAPS_X - 1 - tx: no window arithmetic per load, and 8 multiply-adds per weight
// loaded. TAPS_X is at most 4 (the wrapper checks), so the window is 11 values and every shift is a swizzle.
// Operands are rounded as the GEMMs' are (operand(), f16_operand.wgsl), so f16 precision means the same
// here; sums are f32.
//
// Constants from the wrapper, besides the geometry and the phase: IN_CHANNELS (at most 4, or a multiple of 4)
// and CHANNEL_GROUPS (groups of 4 channels per thread: 2 when IN_CHANNELS is a multiple of 8, else 1).
// Each value stored goes through the input gradient's fused epilogue (conv/conv_input_grad_epilogue.wgsl).

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

const PIXEL_RUNS: u32 = (PHASE_W + 7u) / 8u;
const GROUP_CHANNELS: u32 = min(IN_CHANNELS, 4u);
const THREAD_CHANNELS: u32 = GROUP_CHANNELS * CHANNEL_GROUPS;
const CHANNEL_BLOCKS: u32 = IN_CHANNELS / THREAD_CHANNELS;

// The values the row windows read (row_window.wgsl), rounded as the GEMMs' operands are.
fn rowValue(i: u32) -> f32 {
  return operand(dy[i]);
}

// W[co, c0 + i, ky, kx] for the group's input channels i < GROUP_CHANNELS, zero past them, given W's index of
// (co, c0, ky, kx); input channels lie a whole kernel (KH * KW) apart.
fn weights(first: u32) -> vec4f {
  let channelStride = KH * KW;
  var v = vec4f(operand(w[first]), 0.0, 0.0, 0.0);
  if (GROUP_CHANNELS > 1u) { v.y = operand(w[first + channelStride]); }
  if (GROUP_CHANNELS > 2u) { v.z = operand(w[first + 2u * channelStride]); }
  if (GROUP_CHANNELS > 3u) { v.w = operand(w[first + 3u * channelStride]); }
  return v;
}

// The kernel column of the tap that window shift s stands for (s = TAPS_X - 1 - tx). Written so that no
// constant expression goes below zero when a phase has no taps (such a shader must still compile).
fn tapColumn(s: u32) -> u32 {
  return TAP0_X + STRIDE * (TAPS_X - (s + 1u));
}

// The thread's sums: g<g>c<i>_<h> holds channel c0 + 4g + i of its pixels 4h to 4h + 3.
struct Sums {
  g0c0_0: vec4f, g0c0_1: vec4f, g0c1_0: vec4f, g0c1_1: vec4f,
  g0c2_0: vec4f, g0c2_1: vec4f, g0c3_0: vec4f, g0c3_1: vec4f,
  g1c0_0: vec4f, g1c0_1: vec4f, g1c1_0: vec4f, g1c1_1: vec4f,
  g1c2_0: vec4f, g1c2_1: vec4f, g1c3_0: vec4f, g1c3_1: vec4f,
}

// One tap (window shift s): each channel's weight times the thread's 8 pixels' dy values (px.lo: pixels 0-3,
// px.hi: 4-7). rowWeights is W's index of (co, c0, ky, 0).
fn tap(a: Sums, rowWeights: u32, s: u32, px: Pixels) -> Sums {
  var r = a;
  let first = rowWeights + tapColumn(s);
  let w0 = weights(first);
  r.g0c0_0 = fma(vec4f(w0.x), px.lo, r.g0c0_0); r.g0c0_1 = fma(vec4f(w0.x), px.hi, r.g0c0_1);
  if (GROUP_CHANNELS > 1u) { r.g0c1_0 = fma(vec4f(w0.y), px.lo, r.g0c1_0); r.g0c1_1 = fma(vec4f(w0.y), px.hi, r.g0c1_1); }
  if (GROUP_CHANNELS > 2u) { r.g0c2_0 = fma(vec4f(w0.z), px.lo, r.g0c2_0); r.g0c2_1 = fma(vec4f(w0.z), px.hi, r.g0c2_1); }
  if (GROUP_CHANNELS > 3u) { r.g0c3_0 = fma(vec4f(w0.w), px.lo, r.g0c3_0); r.g0c3_1 = fma(vec4f(w0.w), px.hi, r.g0c3_1); }
  if (CHANNEL_GROUPS > 1u) {
    // A second group is always 4 full channels (IN_CHANNELS is a multiple of 8).
    let w1 = weights(first + 4u * KH * KW);
    r.g1c0_0 = fma(vec4f(w1.x), px.lo, r.g1c0_0); r.g1c0_1 = fma(vec4f(w1.x), px.hi, r.g1c0_1);
    r.g1c1_0 = fma(vec4f(w1.y), px.lo, r.g1c1_0); r.g1c1_1 = fma(vec4f(w1.y), px.hi, r.g1c1_1);
    r.g1c2_0 = fma(vec4f(w1.z), px.lo, r.g1c2_0); r.g1c2_1 = fma(vec4f(w1.z), px.hi, r.g1c2_1);
    r.g1c3_0 = fma(vec4f(w1.w), px.lo, r.g1c3_0); r.g1c3_1 = fma(vec4f(w1.w), px.hi, r.g1c3_1);
  }
  return r;
}

// Eight pixels of channel c of one input row: dx[b, c, iy, PHASE_X + STRIDE * (q0 + j)] for the j < 8 inside
// the phase.
fn store8(b: u32, c: u32, iy: u32, q0: u32, lo: vec4f, hi: vec4f) {
  let row = ((b * IN_CHANNELS + c) * IN_H + iy) * IN_W + PHASE_X;
  let values = array<vec4f, 2>(lo, hi);
  for (var j = 0u; j < 8u && q0 + j < PHASE_W; j++) {
    let index = row + STRIDE * (q0 + j);
    dx[index] = inputGradEpilogue(c, index, values[j / 4u][j % 4u]);
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 64u + lid.x;
  if (t >= p.batch * PHASE_H * CHANNEL_BLOCKS * PIXEL_RUNS) { return; }
  // Neighbouring threads take neighbouring pixel runs, then the channel blocks of the same row (which read the
  // same dy windows), then rows and images.
  let qx0 = 8u * (t % PIXEL_RUNS);
  let c0 = THREAD_CHANNELS * ((t / PIXEL_RUNS) % CHANNEL_BLOCKS);
  let row = t / (PIXEL_RUNS * CHANNEL_BLOCKS);
  let qy = row % PHASE_H;
  let b = row / PHASE_H;

  // Where the window lies in a dy row (the same for every row, so found once).
  let place = windowPlace(i32(qx0 + DY_OFF_X) - i32(TAPS_X) + 1, 1u, OUT_W);

  var sums = Sums();
  for (var ty = 0u; ty < TAPS_Y; ty++) {
    let oy = i32(qy + DY_OFF_Y) - i32(ty);
    if (oy < 0 || oy >= i32(OUT_H)) { continue; }
    let ky = TAP0_Y + STRIDE * ty;
    for (var co = 0u; co < p.outChannels; co++) {
      let dyRow = ((b * p.outChannels + co) * OUT_H + u32(oy)) * OUT_W;
      let dyValues = loadWindow(dyRow, place);
      let rowWeights = (co * IN_CHANNELS + c0) * KH * KW + ky * KW;
      if (TAPS_X > 0u) { sums = tap(sums, rowWeights, 0u, windowShift(dyValues, 0u)); }
      if (TAPS_X > 1u) { sums = tap(sums, rowWeights, 1u, windowShift(dyValues, 1u)); }
      if (TAPS_X > 2u) { sums = tap(sums, rowWeights, 2u, windowShift(dyValues, 2u)); }
      if (TAPS_X > 3u) { sums = tap(sums, rowWeights, 3u, windowShift(dyValues, 3u)); }
    }
  }

  let iy = PHASE_Y + STRIDE * qy;
  // The thread's channels c0 + i, i < THREAD_CHANNELS (group g's channel j is i = 4g + j), stored by a loop, not
  // inlined calls: lavapipe's compile time grows faster than linearly with inlined stores
  // (software/gemm_tile_untiled.wgsl). The bound is not a constant, so the loop stays a loop.
  var outs = array<vec4f, 16>(sums.g0c0_0, sums.g0c0_1, sums.g0c1_0, sums.g0c1_1, sums.g0c2_0, sums.g0c2_1, sums.g0c3_0, sums.g0c3_1,
                              sums.g1c0_0, sums.g1c0_1, sums.g1c1_0, sums.g1c1_1, sums.g1c2_0, sums.g1c2_1, sums.g1c3_0, sums.g1c3_1);
  for (var i = 0u; i < THREAD_CHANNELS && c0 + i < IN_CHANNELS; i++) {
    store8(b, c0 + i, iy, qx0, outs[2u * i], outs[2u * i + 1u]);
  }
}
