// The window forward: conv2d without a GEMM, for CPU adapters (the untiled GEMM core), with the forward's fused
// epilogue (per-channel affine, residual add, ReLU; conv/conv_epilogue.wgsl).
//
// Why: on the untiled core a windowed conv's GEMM reads explicit columns, which im2col writes first, a large
// share of such a conv's time (bench/NOTES.md, "Stride-1 forwards without im2col on the untiled core"). Threads:
// one per 8 neighbouring output pixels of one row and 8 output channels; for each (input channel, tap row) it
// loads the input row's values under its 8 windows once per stride phase, as one window of 11 (row_window.wgsl).
// Tap kx = r + STRIDE * m of pixel j reads input column STRIDE * (ox0 + j) - PAD + kx: entry j + m of phase r's
// window, whose entry e is column STRIDE * ox0 - PAD + r + STRIDE * e. At stride 1 that is one window; at
// stride 2, an even and an odd one. Every tap takes its 8 values by a swizzle and its 8 weights by 8 loads, for
// 64 multiply-adds, added in the GEMM form's order (rowTaps). The planner sends it windows of at most 4 taps per
// phase along x (stride 1: the 3x3s; stride 2: the stem's 7 and the 3x3s) and output channels in multiples of 8.
// Operands are rounded as the GEMMs' are (f16_operand.wgsl). Constants from the wrapper: the
// geometry (convPrelude, the sizes as constants); the epilogue's steps come from the uniform.

// Runs of 8 output pixels per output row.
fn pixelRuns() -> u32 {
  return (outW() + 7u) / 8u;
}

// The values the row windows read (row_window.wgsl), rounded as the GEMMs' operands are.
fn rowValue(i: u32) -> f32 {
  return operand(x[i]);
}

// The thread's sums: o<i>_<h> holds output channel co0 + i of its pixels 4h to 4h + 3.
struct Sums {
  o0_0: vec4f, o0_1: vec4f, o1_0: vec4f, o1_1: vec4f, o2_0: vec4f, o2_1: vec4f, o3_0: vec4f, o3_1: vec4f,
  o4_0: vec4f, o4_1: vec4f, o5_0: vec4f, o5_1: vec4f, o6_0: vec4f, o6_1: vec4f, o7_0: vec4f, o7_1: vec4f,
}

// One tap: W[co0 + i, ci, ky, kx] for the thread's 8 output channels times its 8 pixels' inputs.
fn tap(a: Sums, first: u32, kx: u32, px: Pixels) -> Sums {
  // first = W's index of (co0, ci, ky, 0); output channels lie a whole filter apart.
  let filterSize = p.inChannels * KH * KW;
  let i = first + kx;
  var r = a;
  let w0 = operand(w[i]); let w1 = operand(w[i + filterSize]);
  let w2 = operand(w[i + 2u * filterSize]); let w3 = operand(w[i + 3u * filterSize]);
  let w4 = operand(w[i + 4u * filterSize]); let w5 = operand(w[i + 5u * filterSize]);
  let w6 = operand(w[i + 6u * filterSize]); let w7 = operand(w[i + 7u * filterSize]);
  r.o0_0 = fma(vec4f(w0), px.lo, r.o0_0); r.o0_1 = fma(vec4f(w0), px.hi, r.o0_1);
  r.o1_0 = fma(vec4f(w1), px.lo, r.o1_0); r.o1_1 = fma(vec4f(w1), px.hi, r.o1_1);
  r.o2_0 = fma(vec4f(w2), px.lo, r.o2_0); r.o2_1 = fma(vec4f(w2), px.hi, r.o2_1);
  r.o3_0 = fma(vec4f(w3), px.lo, r.o3_0); r.o3_1 = fma(vec4f(w3), px.hi, r.o3_1);
  r.o4_0 = fma(vec4f(w4), px.lo, r.o4_0); r.o4_1 = fma(vec4f(w4), px.hi, r.o4_1);
  r.o5_0 = fma(vec4f(w5), px.lo, r.o5_0); r.o5_1 = fma(vec4f(w5), px.hi, r.o5_1);
  r.o6_0 = fma(vec4f(w6), px.lo, r.o6_0); r.o6_1 = fma(vec4f(w6), px.hi, r.o6_1);
  r.o7_0 = fma(vec4f(w7), px.lo, r.o7_0); r.o7_1 = fma(vec4f(w7), px.hi, r.o7_1);
  return r;
}

// The values tap kx reads for the thread's 8 pixels: entries kx / STRIDE on of its stride phase's window.
fn tapInputs(even: Window, odd: Window, kx: u32) -> Pixels {
  if (kx % STRIDE == 0u) { return windowShift(even, kx / STRIDE); }
  return windowShift(odd, kx / STRIDE);
}

// Every tap of one (input channel, tap row), kx ascending: with the loops over ci, then ky, that is the order of
// the GEMM form's reduction index (ci, ky, kx), so both forms add the same products in the same order and give
// the same sums bit for bit. Which form the planner picks then never changes a result.
// kx is a constant at each call, so the compiler keeps only the taps inside the kernel and one swizzle each.
fn rowTaps(a: Sums, even: Window, odd: Window, firstWeight: u32) -> Sums {
  var s = a;
  if (KW > 0u) { s = tap(s, firstWeight, 0u, tapInputs(even, odd, 0u)); }
  if (KW > 1u) { s = tap(s, firstWeight, 1u, tapInputs(even, odd, 1u)); }
  if (KW > 2u) { s = tap(s, firstWeight, 2u, tapInputs(even, odd, 2u)); }
  if (KW > 3u) { s = tap(s, firstWeight, 3u, tapInputs(even, odd, 3u)); }
  if (KW > 4u) { s = tap(s, firstWeight, 4u, tapInputs(even, odd, 4u)); }
  if (KW > 5u) { s = tap(s, firstWeight, 5u, tapInputs(even, odd, 5u)); }
  if (KW > 6u) { s = tap(s, firstWeight, 6u, tapInputs(even, odd, 6u)); }
  if (KW > 7u) { s = tap(s, firstWeight, 7u, tapInputs(even, odd, 7u)); }
  return s;
}

// Eight pixels of output channel co of row oy (those inside the row), through the epilogue
// (conv/conv_epilogue.wgsl, which also declares this kernel's bindings).
fn store8(b: u32, co: u32, oy: u32, ox0: u32, lo: vec4f, hi: vec4f) {
  let row = ((b * p.outChannels + co) * outH() + oy) * outW() + ox0;
  let values = array<vec4f, 2>(lo, hi);
  for (var j = 0u; j < 8u && ox0 + j < outW(); j++) { storeOutput(co, row + j, values[j / 4u][j % 4u]); }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 64u + lid.x;
  let channelBlocks = p.outChannels / 8u;
  let runs = pixelRuns();
  if (t >= p.batch * outH() * channelBlocks * runs) { return; }
  // Neighbouring threads take neighbouring pixel runs, then the channel blocks of the same row (which read the
  // same input windows), then rows and images.
  let ox0 = 8u * (t % runs);
  let co0 = 8u * ((t / runs) % channelBlocks);
  let row = t / (runs * channelBlocks);
  let oy = row % outH();
  let b = row / outH();

  // Phase r's window starts at input column STRIDE * ox0 - PAD + r and steps by STRIDE (the odd phase is used
  // at stride 2 only).
  let first = i32(STRIDE * ox0) - i32(PAD);
  let evenPlace = windowPlace(first, STRIDE, inW());
  let oddPlace = windowPlace(first + 1, STRIDE, inW());

  var sums = Sums();
  // One row of the window per step, (ci, ky) in the GEMM form's order, as one flat loop (a loop over ky nested
  // in the loop over ci ran slower on SwiftShader).
  var ci = 0u;
  var ky = 0u;
  for (var step = 0u; step < p.inChannels * KH; step++) {
    // A tap row outside the image reads a clamped row times 0, as the GEMM form adds 0 * w there (no change to
    // any sum): no branch in the loop.
    let iy = i32(STRIDE * oy + ky) - i32(PAD);
    let rowMask = select(0.0, 1.0, iy >= 0 && iy < i32(inH()));
    let inRow = ((b * p.inChannels + ci) * inH() + u32(clamp(iy, 0, i32(inH()) - 1))) * inW();
    let firstWeight = (co0 * p.inChannels + ci) * KH * KW + ky * KW;
    let even = scaleWindow(loadWindow(inRow, evenPlace), rowMask);
    var odd = even;
    if (STRIDE > 1u && KW > 1u) { odd = scaleWindow(loadWindow(inRow, oddPlace), rowMask); }
    sums = rowTaps(sums, even, odd, firstWeight);
    // The next (ci, ky).
    let rowDone = ky + 1u == KH;
    ky = select(ky + 1u, 0u, rowDone);
    ci = select(ci, ci + 1u, rowDone);
  }

  // Stored by a loop over the 8 channels, not 8 inlined calls: lavapipe's compile time grows faster than linearly
  // with inlined stores (software/gemm_tile_untiled.wgsl). The bound is not a constant, so the loop stays a loop.
  var outs = array<vec4f, 16>(sums.o0_0, sums.o0_1, sums.o1_0, sums.o1_1, sums.o2_0, sums.o2_1, sums.o3_0, sums.o3_1,
                              sums.o4_0, sums.o4_1, sums.o5_0, sums.o5_1, sums.o6_0, sums.o6_1, sums.o7_0, sums.o7_1);
  for (var i = 0u; i < 8u && co0 + i < p.outChannels; i++) {
    store8(b, co0 + i, oy, ox0, outs[2u * i], outs[2u * i + 1u]);
  }
}
