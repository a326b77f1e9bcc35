// ScoreCAM's masked inputs for one image n and the channels c0 .. c0 + count - 1 of its activations:
// masked[b, k, y, x] = image[n, k, y, x] * (up(b) - min) / (max - min + 1e-8), with up(b) channel c0 + b upsampled
// to the input size (upsample_align_corners.wgsl) and min, max its upsampled range (scorecam_mask_range.wgsl).
// One thread per output pixel; the mask is computed once for the three colour channels.

struct Params { pixels: u32, n: u32, c0: u32, channels: u32, h: u32, w: u32, outH: u32, outW: u32, scaleY: f32, scaleX: f32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> upsampleSource: array<f32>;
@group(0) @binding(2) var<storage, read> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> image: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.pixels) { return; }
  let area = p.outH * p.outW;
  let b = i / area;
  let pixel = i % area;
  let plane = p.n * p.channels + p.c0 + b;
  let up = upsampleAlignCorners(plane * p.h * p.w, p.h, p.w, pixel / p.outW, pixel % p.outW, p.scaleY, p.scaleX);
  let lo = ranges[2u * plane];
  let hi = ranges[2u * plane + 1u];
  let mask = (up - lo) / ((hi - lo) + 1e-8);
  for (var k = 0u; k < 3u; k++) {
    y[(b * 3u + k) * area + pixel] = image[(p.n * 3u + k) * area + pixel] * mask;
  }
}
