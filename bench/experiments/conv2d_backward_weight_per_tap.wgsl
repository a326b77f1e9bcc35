// Conv2d weight gradient without columns or a GEMM core, for the adapters whose GEMMs run on the direct core (CPU
// adapters): one small GEMM per tap, dW[:, :, ky, kx] = dy . (x under tap (ky, kx))^T, reduced over the pixels.
//
// Why: on the direct core the GEMM form first writes the input's columns (im2col), one row per (ci, ky, kx) for
// every output pixel: 9 copies of a 3x3's input, 14.4 of layer1's 92 ms in SwiftShader in Node
// (bench/NOTES.md). Here each thread owns 8 output channels x 8 input channels of one tap and, per pixel, loads
// 8 values of dy and the 8 input values under its tap (0 outside the image), for 64 multiply-adds: the GEMM
// core's 16 loads per 64, without the columns.
//
// Same sums as the GEMM form, bit for bit: its reduction index k is the pixel (b, oy, ox), split into the same
// K slices (sliceK, from the wrapper), and each of its threads adds fma(dy, x, sum) over its slice's pixels in
// order, from 0, as each thread does here; both then sum the slices with split_k_reduce. A pixel whose tap
// falls outside the image adds fma(dy, 0, sum), as the GEMM form's zero column entry does (and past K its last
// slice adds 0 x 0, which changes no sum). Which form runs (a per-adapter choice, conv_forms.ts) then never
// changes a result. Operands are rounded as the GEMMs' are (shared/f16_operand.wgsl). Input and output channels
// come in multiples of 8 (the wrapper's rule).

const CHANNELS_PER_THREAD: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
// dW [CO, CI, KH, KW], or with several K slices their partial sums [slices, CO, CI * KH * KW].
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

// The thread's sums: s<i>_<h> holds output channel co0 + i times input channels ci0 + 4h to ci0 + 4h + 3.
struct Sums {
  s0_0: vec4f, s0_1: vec4f, s1_0: vec4f, s1_1: vec4f, s2_0: vec4f, s2_1: vec4f, s3_0: vec4f, s3_1: vec4f,
  s4_0: vec4f, s4_1: vec4f, s5_0: vec4f, s5_1: vec4f, s6_0: vec4f, s6_1: vec4f, s7_0: vec4f, s7_1: vec4f,
}

// Four input channels' values at flat input index i (channels a plane apart), or 0 where the tap is outside.
fn inputs4(i: u32, inside: bool) -> vec4f {
  let plane = IN_H * IN_W;
  let v = vec4f(operand(x[i]), operand(x[i + plane]), operand(x[i + 2u * plane]), operand(x[i + 3u * plane]));
  return select(vec4f(0.0), v, inside);
}

// Output channel co's sums for input channels ci0 to ci0 + 7 of tap `tap`, into the thread's slice of dw.
fn store8(slice: u32, co: u32, ci0: u32, tap: u32, lo: vec4f, hi: vec4f) {
  let taps = KH * KW;
  let first = (slice * p.outChannels + co) * p.inChannels * taps + ci0 * taps + tap;
  for (var j = 0u; j < 4u; j++) {
    dw[first + j * taps] = lo[j];
    dw[first + (4u + j) * taps] = hi[j];
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 64u + lid.x;
  let outArea = OUT_H * OUT_W;
  let pixels = p.batch * outArea;
  let slices = (pixels + p.sliceK - 1u) / p.sliceK;
  let inBlocks = p.inChannels / CHANNELS_PER_THREAD;
  let outBlocks = p.outChannels / CHANNELS_PER_THREAD;
  let perSlice = inBlocks * outBlocks * KH * KW;
  if (t >= perSlice * slices) { return; }
  // Neighbouring threads take neighbouring input-channel blocks (the same dy values), then output-channel
  // blocks, then taps, then K slices.
  let ci0 = CHANNELS_PER_THREAD * (t % inBlocks);
  let co0 = CHANNELS_PER_THREAD * ((t / inBlocks) % outBlocks);
  let tap = (t / (inBlocks * outBlocks)) % (KH * KW);
  let slice = t / perSlice;
  let ky = tap / KW;
  let kx = tap % KW;
  let plane = IN_H * IN_W;

  // The slice's first pixel (b, oy, ox); the loop steps through the rest without dividing.
  let first = slice * p.sliceK;
  let last = min(first + p.sliceK, pixels);
  var b = imageOf(first, outArea);
  let firstPixel = pixelIn(first, outArea);
  var oy = firstPixel / OUT_W;
  var ox = firstPixel % OUT_W;
  var s = Sums();
  for (var k = first; k < last; k++) {
    let iy = i32(STRIDE * oy + ky) - i32(PAD);
    let ix = i32(STRIDE * ox + kx) - i32(PAD);
    let inside = iy >= 0 && iy < i32(IN_H) && ix >= 0 && ix < i32(IN_W);
    // Outside the image a clamped (valid) address is read and its values replaced by 0: no branch.
    let xi = ((b * p.inChannels + ci0) * IN_H + u32(clamp(iy, 0, i32(IN_H) - 1))) * IN_W + u32(clamp(ix, 0, i32(IN_W) - 1));
    let lo = inputs4(xi, inside);
    let hi = inputs4(xi + 4u * plane, inside);
    let di = (b * p.outChannels + co0) * outArea + oy * OUT_W + ox;
    let d0 = operand(dy[di]); let d1 = operand(dy[di + outArea]);
    let d2 = operand(dy[di + 2u * outArea]); let d3 = operand(dy[di + 3u * outArea]);
    let d4 = operand(dy[di + 4u * outArea]); let d5 = operand(dy[di + 5u * outArea]);
    let d6 = operand(dy[di + 6u * outArea]); let d7 = operand(dy[di + 7u * outArea]);
    s.s0_0 = fma(vec4f(d0), lo, s.s0_0); s.s0_1 = fma(vec4f(d0), hi, s.s0_1);
    s.s1_0 = fma(vec4f(d1), lo, s.s1_0); s.s1_1 = fma(vec4f(d1), hi, s.s1_1);
    s.s2_0 = fma(vec4f(d2), lo, s.s2_0); s.s2_1 = fma(vec4f(d2), hi, s.s2_1);
    s.s3_0 = fma(vec4f(d3), lo, s.s3_0); s.s3_1 = fma(vec4f(d3), hi, s.s3_1);
    s.s4_0 = fma(vec4f(d4), lo, s.s4_0); s.s4_1 = fma(vec4f(d4), hi, s.s4_1);
    s.s5_0 = fma(vec4f(d5), lo, s.s5_0); s.s5_1 = fma(vec4f(d5), hi, s.s5_1);
    s.s6_0 = fma(vec4f(d6), lo, s.s6_0); s.s6_1 = fma(vec4f(d6), hi, s.s6_1);
    s.s7_0 = fma(vec4f(d7), lo, s.s7_0); s.s7_1 = fma(vec4f(d7), hi, s.s7_1);
    // The next pixel: the next column, else the next row, else the next image.
    ox++;
    let rowDone = ox == OUT_W;
    ox = select(ox, 0u, rowDone);
    oy = select(oy, oy + 1u, rowDone);
    let imageDone = oy == OUT_H;
    oy = select(oy, 0u, imageDone);
    b = select(b, b + 1u, imageDone);
  }

  store8(slice, co0, ci0, tap, s.s0_0, s.s0_1); store8(slice, co0 + 1u, ci0, tap, s.s1_0, s.s1_1);
  store8(slice, co0 + 2u, ci0, tap, s.s2_0, s.s2_1); store8(slice, co0 + 3u, ci0, tap, s.s3_0, s.s3_1);
  store8(slice, co0 + 4u, ci0, tap, s.s4_0, s.s4_1); store8(slice, co0 + 5u, ci0, tap, s.s5_0, s.s5_1);
  store8(slice, co0 + 6u, ci0, tap, s.s6_0, s.s6_1); store8(slice, co0 + 7u, ci0, tap, s.s7_0, s.s7_1);
}
