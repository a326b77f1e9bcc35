// Grad-CAM step 6 before the normalisation, shared by cam_overlay_max (the per-image maximum) and cam_overlay
// (the bytes): cam = heatWeight * LUT[uint8(255 * map)] / 255 + imageWeight * image / 255 for byte k of the
// [N, H, W, 3] output. The image is uint8 RGB HWC packed four bytes to a u32 (little-endian: the Uint8Array's
// own bytes). `levels` holds the divisions by 255 done on the CPU in f32, correctly rounded as numpy's (the GPU's
// division may be off by an ulp, which flips truncations): [0, 768) the LUT's RGB entries, [768, 1024) b / 255.

struct Params { images: u32, area: u32, heatWeight: f32, imageWeight: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> camMap: array<f32>;
@group(0) @binding(2) var<storage, read> image: array<u32>;
@group(0) @binding(3) var<storage, read> levels: array<f32>;

const IMAGE_LEVELS: u32 = 768u;

fn imageByte(k: u32) -> u32 {
  return (image[k / 4u] >> (8u * (k % 4u))) & 0xffu;
}

fn blend(k: u32) -> f32 {
  let s = 255.0 * camMap[k / 3u];
  // numpy's uint8 cast truncates; NaN and negatives give 0, anything above 255 gives 255.
  var index = 0u;
  if (s >= 1.0) { index = u32(min(s, 255.0)); }
  return p.heatWeight * levels[index * 3u + k % 3u] + p.imageWeight * levels[IMAGE_LEVELS + imageByte(k)];
}
