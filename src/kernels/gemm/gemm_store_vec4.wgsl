// Four consecutive columns of one row of C, each stored only if inside the matrix: the tiled core's epilogue
// (gemm_tile_vec4.wgsl), whose threads hold their outputs as vec4s. The untiled core stores by loops instead.
fn storeC4(m: u32, n: u32, v: vec4f, dims: vec3u) {
  if (m >= dims.x) { return; }
  if (n < dims.y) { storeC(m, n, v.x); }
  if (n + 1u < dims.y) { storeC(m, n + 1u, v.y); }
  if (n + 2u < dims.y) { storeC(m, n + 2u, v.z); }
  if (n + 3u < dims.y) { storeC(m, n + 3u, v.w); }
}
