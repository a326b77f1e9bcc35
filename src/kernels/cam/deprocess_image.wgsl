// pytorch-grad-cam's deprocess_image on x [N, C, H, W] with the per-image statistics of deprocess_stats.wgsl:
// v = (v - mean) / (deviation + 1e-5) * 0.1 + 0.5, clipped to [0, 1], uint8(v * 255) (truncation, as numpy's cast),
// written HWC: [N, H, W, C] bytes. One thread per output u32: four bytes, packed little-endian, so what is read
// back is the Uint8Array itself.

struct Params { images: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn quantise(k: u32) -> u32 {
  // k indexes [N, H, W, C]; the value lives at [N, C, H, W].
  let c = k % p.channels;
  let pixel = (k / p.channels) % p.area;
  let n = k / (p.channels * p.area);
  let v = x[(n * p.channels + c) * p.area + pixel];
  let mean = stats[2u * n];
  let deviation = stats[2u * n + 1u];
  var u = (v - mean) / (deviation + 1e-5);
  u = u * 0.1;
  u = u + 0.5;
  u = clamp(u, 0.0, 1.0);
  return u32(u * 255.0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = flatWorkgroupId(wg, groups) * 256u + lid.x;
  let bytes = p.images * p.channels * p.area;
  if (j * 4u >= bytes) { return; }
  var word = 0u;
  for (var b = 0u; b < 4u; b++) {
    let k = j * 4u + b;
    if (k < bytes) { word |= quantise(k) << (8u * b); }
  }
  out[j] = word;
}
