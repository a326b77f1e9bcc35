// Register- and workgroup-tiled GEMM core, C[M,N] = A[M,K] * B[K,N], shared by every kernel that is a matrix
// product in disguise (conv forward, conv input and weight gradients, linear). The including kernel defines
//   fn gemmDims() -> vec3u                      M, N, K
//   fn loadA(m: u32, k: u32) -> f32             called only with m < M, k < K
//   fn loadB(k: u32, n: u32) -> f32             called only with k < K, n < N
//   fn storeC(m: u32, n: u32, acc: f32)         called only with m < M, n < N
// and the constants A_M_CONTIGUOUS (consecutive m of A are neighbours in memory; else consecutive k are) and
// B_K_CONTIGUOUS (consecutive k of B; else consecutive n), which set the order of the tile loads, and (from the
// wrapper, gemm_config.ts) TILE_M, TILE_N, TILE_K, THREADS_M, THREADS_N. Each thread owns a
// (TILE_M / THREADS_M) x (TILE_N / THREADS_N) block of C, strided by the thread grid so that neighbouring
// threads touch neighbouring columns (coalesced stores, conflict-free workgroup reads).
// Workgroup z is a batch index, passed to the kernel through `gemmBatch`.

const ROWS_PER_THREAD: u32 = TILE_M / THREADS_M;
const COLS_PER_THREAD: u32 = TILE_N / THREADS_N;
const THREADS: u32 = THREADS_M * THREADS_N;

// The tiles hold OPERAND values (f32, or f16 with shader-f16, from the wrapper); products and sums are f32,
// as in gemm_tile_vec4.wgsl.
var<workgroup> tileA: array<OPERAND, TILE_K * TILE_M>; // [k][m]
var<workgroup> tileB: array<OPERAND, TILE_K * TILE_N>; // [k][n]
var<private> gemmBatch: u32;

@compute @workgroup_size(THREADS_N, THREADS_M, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  gemmBatch = wg.z;
  let dims = gemmDims();
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  let m0 = wg.y * TILE_M;
  let n0 = wg.x * TILE_N;
  var acc: array<array<f32, COLS_PER_THREAD>, ROWS_PER_THREAD>;
  var a: array<f32, ROWS_PER_THREAD>;
  var b: array<f32, COLS_PER_THREAD>;

  for (var k0 = 0u; k0 < K; k0 += TILE_K) {
    // Consecutive threads load neighbours in memory (A_M_CONTIGUOUS, B_K_CONTIGUOUS).
    for (var i = li; i < TILE_M * TILE_K; i += THREADS) {
      var m = i / TILE_K;
      var k = i % TILE_K;
      if (A_M_CONTIGUOUS) { m = i % TILE_M; k = i / TILE_M; }
      var v = 0.0;
      if (m0 + m < M && k0 + k < K) { v = loadA(m0 + m, k0 + k); }
      tileA[k * TILE_M + m] = OPERAND(v);
    }
    for (var i = li; i < TILE_K * TILE_N; i += THREADS) {
      var k = i / TILE_N;
      var n = i % TILE_N;
      if (B_K_CONTIGUOUS) { k = i % TILE_K; n = i / TILE_K; }
      var v = 0.0;
      if (n0 + n < N && k0 + k < K) { v = loadB(k0 + k, n0 + n); }
      tileB[k * TILE_N + n] = OPERAND(v);
    }
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      for (var r = 0u; r < ROWS_PER_THREAD; r++) { a[r] = f32(tileA[k * TILE_M + lid.y + r * THREADS_M]); }
      for (var c = 0u; c < COLS_PER_THREAD; c++) { b[c] = f32(tileB[k * TILE_N + lid.x + c * THREADS_N]); }
      for (var r = 0u; r < ROWS_PER_THREAD; r++) {
        for (var c = 0u; c < COLS_PER_THREAD; c++) {
          acc[r][c] = fma(a[r], b[c], acc[r][c]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < ROWS_PER_THREAD; r++) {
    let m = m0 + lid.y + r * THREADS_M;
    if (m >= M) { continue; }
    for (var c = 0u; c < COLS_PER_THREAD; c++) {
      let n = n0 + lid.x + c * THREADS_N;
      if (n < N) { storeC(m, n, acc[r][c]); }
    }
  }
}
