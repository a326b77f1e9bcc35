// ScoreCAM's per-channel range: for each (n, c) of the activations [N, C, h, w], the minimum and maximum of
// that channel upsampled to the input size (upsample_align_corners.wgsl). The upsampled extremes can differ
// from the channel's own when a source pixel does not land on an output pixel, so they are taken over the
// upsampled plane itself. One workgroup per channel: ranges[2 * (n * C + c)] = min, then max.

struct Params { planes: u32, h: u32, w: u32, outH: u32, outW: u32, scaleY: f32, scaleX: f32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> upsampleSource: array<f32>;
@group(0) @binding(2) var<storage, read_write> ranges: array<f32>;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let plane = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = plane < p.planes;
  let area = p.outH * p.outW;
  var lo = 3.402823e38;
  var hi = -3.402823e38;
  if (valid) {
    for (var i = lid.x; i < area; i += REDUCE_THREADS) {
      let v = upsampleAlignCorners(plane * p.h * p.w, p.h, p.w, i / p.outW, i % p.outW, p.scaleY, p.scaleX);
      lo = min(lo, v);
      hi = max(hi, v);
    }
  }
  let mn = workgroupMin(lo, lid.x);
  let mx = workgroupMax(hi, lid.x);
  if (valid && lid.x == 0u) {
    ranges[2u * plane] = mn;
    ranges[2u * plane + 1u] = mx;
  }
}
