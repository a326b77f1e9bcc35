// The Gram matrix of get_2d_projection's centred L x C matrix M (cam_eigen_centred.wgsl), on its smaller side:
// PIXEL_GRAM (L <= C): K = M M^T, L x L; otherwise K = M^T M, C x C. Its top eigenvector gives the first
// principal component (src/cam/eigen.ts). A 16 x 16 workgroup computes a 16 x 16 block of K[n]: both operand
// tiles are staged in workgroup memory, 16 steps of the inner (shared) dimension at a time.

struct Params { images: u32, channels: u32, area: u32, size: u32, inner: u32, tilesPerSide: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> gram: array<f32>;

const TILE: u32 = 16u;
var<workgroup> rowsTile: array<f32, 256>;
var<workgroup> colsTile: array<f32, 256>;

/** Row r of the Gram's operand at inner index k: M[r, k] for the pixel Gram, M[k, r] for the channel Gram. */
fn operand(n: u32, r: u32, k: u32) -> f32 {
  if (r >= p.size || k >= p.inner) { return 0.0; }
  if (PIXEL_GRAM) { return centred(n, k, r); }
  return centred(n, r, k);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let g = flatWorkgroupId(wg, groups);
  let perImage = p.tilesPerSide * p.tilesPerSide;
  let n = g / perImage;
  let row0 = ((g % perImage) / p.tilesPerSide) * TILE;
  let col0 = (g % p.tilesPerSide) * TILE;
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  var s = 0.0;
  for (var k0 = 0u; k0 < p.inner; k0 += TILE) {
    if (valid) {
      rowsTile[lid.y * TILE + lid.x] = operand(n, row0 + lid.y, k0 + lid.x);
      colsTile[lid.y * TILE + lid.x] = operand(n, col0 + lid.y, k0 + lid.x);
    }
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) { s += rowsTile[lid.y * TILE + k] * colsTile[lid.x * TILE + k]; }
    workgroupBarrier();
  }
  let r = row0 + lid.y;
  let c = col0 + lid.x;
  if (valid && r < p.size && c < p.size) { gram[(n * p.size + r) * p.size + c] = s; }
}
