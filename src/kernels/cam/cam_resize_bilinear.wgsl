// cv2.resize(INTER_LINEAR) of [N, h, w] planes to [N, outH, outW]: half-pixel centres, no antialiasing, OpenCV's
// float path (float weights; its fixed-point arithmetic is for uint8 only). Per axis: f = (d + 0.5) * (src / dst)
// - 0.5, s = floor(f), f -= s; before the first centre s = 0, f = 0; from the last one on s = src - 1, f = 0, and
// the second tap is clamped. Rows are interpolated first, then the column, as OpenCV's separable passes.

struct Params { count: u32, h: u32, w: u32, outH: u32, outW: u32, scaleY: f32, scaleX: f32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

struct Tap { i0: u32, i1: u32, f: f32 }

fn tap(d: u32, size: u32, scale: f32) -> Tap {
  let c = (f32(d) + 0.5) * scale - 0.5;
  let s = floor(c);
  var f = c - s;
  var i = i32(s);
  if (i < 0) { i = 0; f = 0.0; }
  if (i >= i32(size) - 1) { i = i32(size) - 1; f = 0.0; }
  let i0 = u32(i);
  return Tap(i0, min(i0 + 1u, size - 1u), f);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let ox = i % p.outW;
  let oy = (i / p.outW) % p.outH;
  let base = (i / (p.outW * p.outH)) * p.h * p.w;
  let tx = tap(ox, p.w, p.scaleX);
  let ty = tap(oy, p.h, p.scaleY);
  let row0 = base + ty.i0 * p.w;
  let row1 = base + ty.i1 * p.w;
  let r0 = x[row0 + tx.i0] * (1.0 - tx.f) + x[row0 + tx.i1] * tx.f;
  let r1 = x[row1 + tx.i0] * (1.0 - tx.f) + x[row1 + tx.i1] * tx.f;
  y[i] = r0 * (1.0 - ty.f) + r1 * ty.f;
}
