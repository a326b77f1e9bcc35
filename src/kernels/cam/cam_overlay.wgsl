// The overlay bytes: uint8(255 * cam / max(cam)) (truncation, as numpy's uint8 cast), cam from
// cam_blend.wgsl and its per-image maximum from cam_overlay_max. One thread per output u32: four bytes of
// the [N, H, W, 3] uint8 result, packed little-endian, so what is read back is the Uint8Array itself.

@group(0) @binding(4) var<storage, read> camMax: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<u32>;

fn quantise(k: u32) -> u32 {
  let v = blend(k);
  let m = camMax[k / (p.area * 3u)];
  if (!(m > 0.0)) { return 0u; }
  // cam / max is exactly 1 at the maximum; the GPU's division may land an ulp below and truncate to 254.
  var q = 1.0;
  if (v < m) { q = v / m; }
  return u32(clamp(255.0 * q, 0.0, 255.0));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = flatWorkgroupId(wg, groups) * 256u + lid.x;
  let bytes = p.images * p.area * 3u;
  if (j * 4u >= bytes) { return; }
  var word = 0u;
  for (var b = 0u; b < 4u; b++) {
    let k = j * 4u + b;
    if (k < bytes) { word |= quantise(k) << (8u * b); }
  }
  out[j] = word;
}
