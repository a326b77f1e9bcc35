// The workgroup tiles of the vec4 GEMM core (gemm_tile_vec4.wgsl), and how a workgroup fills them for one step
// of TILE_K along k; kept apart from the core's inner loop so that another register blocking can share them.
// The core defines TILE_M, TILE_N and THREADS; the kernel defines loadA, loadB, A_M_CONTIGUOUS and
// B_K_CONTIGUOUS.
//
// - Tiles hold vec4s (four rows of A, or four columns of B, per element), so the cores' inner loops read a
//   thread's operands as whole vec4s; they hold OPERAND values (f32, or f16 for f16 operands).
// - Consecutive threads load neighbours in memory (coalesced on a GPU, whole cache lines on a CPU): k of A, or m
//   where the kernel's A is contiguous along m; n of B, or k where its B is contiguous along k.
// - Each row of a tile has one vec4 of padding. When consecutive threads load along k, they store into
//   consecutive rows of the tile, a row apart; unpadded, a row of 64 floats is a multiple of the 32 banks of
//   workgroup memory, so the 16 threads of one TILE_K run would all hit one bank (16-way conflicts on every
//   store); padded, a row is 4 banks further on and at most 2 of them meet. The inner loops read along a row,
//   which the padding does not change.
var<workgroup> tileA: array<array<vec4<OPERAND>, TILE_M / 4u + 1u>, TILE_K>; // [k][m / 4], component m % 4
var<workgroup> tileB: array<array<vec4<OPERAND>, TILE_N / 4u + 1u>, TILE_K>; // [k][n / 4], component n % 4

/** Tiles of the k range [k0, k0 + TILE_K) for the block at (m0, n0); zeros past the matrix. */
fn fillTiles(m0: u32, n0: u32, k0: u32, li: u32, dims: vec3u) {
  for (var i = li; i < TILE_M * TILE_K; i += THREADS) {
    var m = i / TILE_K;
    var k = i % TILE_K;
    if (A_M_CONTIGUOUS) { m = i % TILE_M; k = i / TILE_M; }
    var v = 0.0;
    if (m0 + m < dims.x && k0 + k < dims.z) { v = loadA(m0 + m, k0 + k); }
    tileA[k][m / 4u][m % 4u] = OPERAND(v);
  }
  for (var i = li; i < TILE_K * TILE_N; i += THREADS) {
    var k = i / TILE_N;
    var n = i % TILE_N;
    if (B_K_CONTIGUOUS) { k = i % TILE_K; n = i / TILE_K; }
    var v = 0.0;
    if (n0 + n < dims.y && k0 + k < dims.z) { v = loadB(k0 + k, n0 + n); }
    tileB[k][n / 4u][n % 4u] = OPERAND(v);
  }
}
