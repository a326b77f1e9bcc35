// Centre crop of a resized RGB image (one u32 per pixel, R in the low byte) into image `batchIndex` of the
// network input, NCHW float32, normalised as torchvision does: ToTensor (byte / 255 in float32), then
// Normalize ((x - mean) / std in float32). Also writes the cropped pixels (same packing) to image `batchIndex`
// of `crop` [N, size, size]: the picture that overlays are drawn on.

struct Params {
  srcW: u32, top: u32, left: u32, size: u32,
  batchIndex: u32, _a: u32, _b: u32, _c: u32,
  mean: vec4f,
  stdDev: vec4f,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> crop: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  let area = p.size * p.size;
  if (i >= area) { return; }
  let y = i / p.size;
  let x = i % p.size;
  let pixel = src[(y + p.top) * p.srcW + x + p.left];
  crop[p.batchIndex * area + i] = pixel;
  let base = p.batchIndex * 3u * area;
  for (var c = 0u; c < 3u; c++) {
    // Two roundings, as PyTorch: the division, then (v - mean) / std in float32.
    let v = f32((pixel >> (8u * c)) & 0xffu) / 255.0;
    input[base + c * area + i] = (v - p.mean[c]) / p.stdDev[c];
  }
}
