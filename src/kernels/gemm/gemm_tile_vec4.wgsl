// The tiled GEMM core, register- and workgroup-tiled: C[M,N] = A[M,K] * B[K,N] through the kernel's loaders
// (gemmDims, loadA, loadB, storeC, gemmBatch, A_M_CONTIGUOUS, B_K_CONTIGUOUS); its epilogue, storeC4, is
// gemm_store_vec4.wgsl. Each thread owns an 8x8 block of C held in sixteen vec4 accumulators; the
// wrapper sets the thread grid THREADS_M x THREADS_N and TILE_K, so a tile is (8 THREADS_M) x (8 THREADS_N):
// 64x64 with 8x8 threads by default, 8x256 with 1x32 for thin problems.
//
// Why this shape, and why written out by hand:
// - Tiles live in workgroup memory as vec4 (four rows of A, or four columns of B, per element;
//   gemm_tile_fill.wgsl holds them and fills them), so each step of k costs a thread four vec4 reads for sixteen
//   vec4 FMAs: 64 multiply-adds per 16 floats read.
// - The accumulators are named variables, not an indexed array. CPU adapters (SwiftShader, lavapipe) keep a
//   private array in memory when its indices are not constant after their own optimisation, and then every FMA
//   becomes a load and a store; named variables stay in registers on every adapter (bench/NOTES.md, "A vec4
//   GEMM core with named accumulators").
// - The default tile uses 8.5 KiB of workgroup memory (8 KiB and a vec4 of padding per row) and 64 threads,
//   within every adapter's default limits.
// - The tiles hold OPERAND values: f32, or f16 when the wrapper asks for f16 operands (`enable f16;`, shader-f16).
//   Products and sums stay f32 either way (each vec4 is widened as it leaves the tile), as in mixed-precision
//   GEMMs: f16 halves the tiles' workgroup memory and the bandwidth of the inner loop's reads, and costs one
//   rounding of each operand (about 2^-12 relative), not a rounding per addition.
// Thread (x, y) owns the rows of vec4 groups y and y + THREADS_M of its tile and the columns of vec4 groups x
// and x + THREADS_N, so neighbouring threads read neighbouring vec4s of B (no bank conflicts) and share the
// rows of A (broadcast).

const TILE_M: u32 = 8u * THREADS_M;
const TILE_N: u32 = 8u * THREADS_N;
const THREADS: u32 = THREADS_M * THREADS_N;

var<private> gemmBatch: u32;

@compute @workgroup_size(THREADS_N, THREADS_M, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  gemmBatch = wg.z;
  let dims = gemmDims();
  let K = dims.z;
  let m0 = wg.y * TILE_M;
  let n0 = wg.x * TILE_N;
  // acc<r>_<j>: row r of the thread's eight (0-3 in the first row group, 4-7 in the second), column group j.
  var acc0_0 = vec4f(0.0); var acc0_1 = vec4f(0.0); var acc1_0 = vec4f(0.0); var acc1_1 = vec4f(0.0);
  var acc2_0 = vec4f(0.0); var acc2_1 = vec4f(0.0); var acc3_0 = vec4f(0.0); var acc3_1 = vec4f(0.0);
  var acc4_0 = vec4f(0.0); var acc4_1 = vec4f(0.0); var acc5_0 = vec4f(0.0); var acc5_1 = vec4f(0.0);
  var acc6_0 = vec4f(0.0); var acc6_1 = vec4f(0.0); var acc7_0 = vec4f(0.0); var acc7_1 = vec4f(0.0);

  for (var k0 = 0u; k0 < K; k0 += TILE_K) {
    fillTiles(m0, n0, k0, li, dims);
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      let b0 = vec4f(tileB[k][lid.x]);
      let b1 = vec4f(tileB[k][lid.x + THREADS_N]);
      let a0 = vec4f(tileA[k][lid.y]);
      let a1 = vec4f(tileA[k][lid.y + THREADS_M]);
      acc0_0 = fma(vec4f(a0.x), b0, acc0_0); acc0_1 = fma(vec4f(a0.x), b1, acc0_1);
      acc1_0 = fma(vec4f(a0.y), b0, acc1_0); acc1_1 = fma(vec4f(a0.y), b1, acc1_1);
      acc2_0 = fma(vec4f(a0.z), b0, acc2_0); acc2_1 = fma(vec4f(a0.z), b1, acc2_1);
      acc3_0 = fma(vec4f(a0.w), b0, acc3_0); acc3_1 = fma(vec4f(a0.w), b1, acc3_1);
      acc4_0 = fma(vec4f(a1.x), b0, acc4_0); acc4_1 = fma(vec4f(a1.x), b1, acc4_1);
      acc5_0 = fma(vec4f(a1.y), b0, acc5_0); acc5_1 = fma(vec4f(a1.y), b1, acc5_1);
      acc6_0 = fma(vec4f(a1.z), b0, acc6_0); acc6_1 = fma(vec4f(a1.z), b1, acc6_1);
      acc7_0 = fma(vec4f(a1.w), b0, acc7_0); acc7_1 = fma(vec4f(a1.w), b1, acc7_1);
    }
    workgroupBarrier();
  }

  let r0 = m0 + 4u * lid.y;
  let r1 = m0 + 4u * (lid.y + THREADS_M);
  let c0 = n0 + 4u * lid.x;
  let c1 = n0 + 4u * (lid.x + THREADS_N);
  storeC4(r0, c0, acc0_0, dims); storeC4(r0, c1, acc0_1, dims);
  storeC4(r0 + 1u, c0, acc1_0, dims); storeC4(r0 + 1u, c1, acc1_1, dims);
  storeC4(r0 + 2u, c0, acc2_0, dims); storeC4(r0 + 2u, c1, acc2_1, dims);
  storeC4(r0 + 3u, c0, acc3_0, dims); storeC4(r0 + 3u, c1, acc3_1, dims);
  storeC4(r1, c0, acc4_0, dims); storeC4(r1, c1, acc4_1, dims);
  storeC4(r1 + 1u, c0, acc5_0, dims); storeC4(r1 + 1u, c1, acc5_1, dims);
  storeC4(r1 + 2u, c0, acc6_0, dims); storeC4(r1 + 2u, c1, acc6_1, dims);
  storeC4(r1 + 3u, c0, acc7_0, dims); storeC4(r1 + 3u, c1, acc7_1, dims);
}
