// FullGrad's per-layer map: for each image n and pixel i of grad [N, C, h, w], the sum over channels of the
// saliency term (fullgrad_term.wgsl) min-max scaled per plane as scale_cam_image does it,
// (v - min) / (1e-7 + (max - min)), with the plane ranges of fullgrad_range.wgsl. The library resizes every
// channel to the input size before this sum; resizing is linear, so the caller resizes the sum once instead.
// ACCUMULATE: add into out (layers of one spatial size share one sum) instead of overwriting it.
// One thread per output pixel; neighbouring threads read neighbouring pixels of each channel.

struct Params { count: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> factor: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> ranges: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (k >= p.count) { return; }
  let n = k / p.area;
  let pixel = k % p.area;
  var s = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    let plane = n * p.channels + c;
    let mn = ranges[2u * plane];
    let mx = ranges[2u * plane + 1u];
    s += (fullGradTerm(plane * p.area + pixel, c) - mn) / (1e-7 + (mx - mn));
  }
  if (ACCUMULATE) { s = out[k] + s; }
  out[k] = s;
}
