// The untiled GEMM core, for CPU adapters: C[M,N] = A[M,K] * B[K,N] with the interface of the tiled core
// (gemm/gemm_tile_vec4.wgsl: gemmDims, loadA, loadB, storeC, gemmBatch; the load-order constants are not used),
// calling storeC once per output. Threads: THREADS_N x THREADS_M per workgroup, each owning an 8x8 block of C
// in sixteen named vec4 accumulators, as there, but reading its eight A values and eight B values for each step
// of k straight from the kernel's loaders instead of from workgroup tiles.
// Why: on a CPU adapter the caches already share the loads, and workgroup memory brings a barrier (if only
// Tint's zero-initialisation of it) that costs each invocation more than its arithmetic saves (bench/NOTES.md,
// "A GEMM core without workgroup memory"). On a GPU it rereads each operand 8 times more often than the tiled
// core, so GPUs keep that one (kernels/config.ts priors; the GEMM tuner measures).
// Constants in: THREADS_M, THREADS_N, OPERAND and OPERANDS_F16 (f16_operand.wgsl).
// There is no TILE_K: the loop runs exactly K steps. Rows and columns past the matrix are read clamped to its
// last row or column (valid addresses, no branch in the loop) and never stored.

const TILE_M: u32 = 8u * THREADS_M;
const TILE_N: u32 = 8u * THREADS_N;
var<private> gemmBatch: u32;

@compute @workgroup_size(THREADS_N, THREADS_M, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  gemmBatch = wg.z;
  let dims = gemmDims();
  let M = dims.x;
  let N = dims.y;
  let K = dims.z;
  // The thread's 8 rows and 8 consecutive columns; neighbouring threads take neighbouring column blocks.
  let r0 = wg.y * TILE_M + 8u * lid.y;
  let c0 = wg.x * TILE_N + 8u * lid.x;
  let lastRow = max(M, 1u) - 1u;
  let lastCol = max(N, 1u) - 1u;
  let m0 = min(r0, lastRow); let m1 = min(r0 + 1u, lastRow);
  let m2 = min(r0 + 2u, lastRow); let m3 = min(r0 + 3u, lastRow);
  let m4 = min(r0 + 4u, lastRow); let m5 = min(r0 + 5u, lastRow);
  let m6 = min(r0 + 6u, lastRow); let m7 = min(r0 + 7u, lastRow);
  let n0 = min(c0, lastCol); let n1 = min(c0 + 1u, lastCol);
  let n2 = min(c0 + 2u, lastCol); let n3 = min(c0 + 3u, lastCol);
  let n4 = min(c0 + 4u, lastCol); let n5 = min(c0 + 5u, lastCol);
  let n6 = min(c0 + 6u, lastCol); let n7 = min(c0 + 7u, lastCol);
  // acc<r>_<j>: row r of the thread's eight, column group j (columns 4j to 4j + 3 of its eight).
  var acc0_0 = vec4f(0.0); var acc0_1 = vec4f(0.0); var acc1_0 = vec4f(0.0); var acc1_1 = vec4f(0.0);
  var acc2_0 = vec4f(0.0); var acc2_1 = vec4f(0.0); var acc3_0 = vec4f(0.0); var acc3_1 = vec4f(0.0);
  var acc4_0 = vec4f(0.0); var acc4_1 = vec4f(0.0); var acc5_0 = vec4f(0.0); var acc5_1 = vec4f(0.0);
  var acc6_0 = vec4f(0.0); var acc6_1 = vec4f(0.0); var acc7_0 = vec4f(0.0); var acc7_1 = vec4f(0.0);

  for (var k = 0u; k < K; k++) {
    let b0 = vec4f(operand(loadB(k, n0)), operand(loadB(k, n1)), operand(loadB(k, n2)), operand(loadB(k, n3)));
    let b1 = vec4f(operand(loadB(k, n4)), operand(loadB(k, n5)), operand(loadB(k, n6)), operand(loadB(k, n7)));
    let a0 = operand(loadA(m0, k)); let a1 = operand(loadA(m1, k));
    let a2 = operand(loadA(m2, k)); let a3 = operand(loadA(m3, k));
    let a4 = operand(loadA(m4, k)); let a5 = operand(loadA(m5, k));
    let a6 = operand(loadA(m6, k)); let a7 = operand(loadA(m7, k));
    acc0_0 = fma(vec4f(a0), b0, acc0_0); acc0_1 = fma(vec4f(a0), b1, acc0_1);
    acc1_0 = fma(vec4f(a1), b0, acc1_0); acc1_1 = fma(vec4f(a1), b1, acc1_1);
    acc2_0 = fma(vec4f(a2), b0, acc2_0); acc2_1 = fma(vec4f(a2), b1, acc2_1);
    acc3_0 = fma(vec4f(a3), b0, acc3_0); acc3_1 = fma(vec4f(a3), b1, acc3_1);
    acc4_0 = fma(vec4f(a4), b0, acc4_0); acc4_1 = fma(vec4f(a4), b1, acc4_1);
    acc5_0 = fma(vec4f(a5), b0, acc5_0); acc5_1 = fma(vec4f(a5), b1, acc5_1);
    acc6_0 = fma(vec4f(a6), b0, acc6_0); acc6_1 = fma(vec4f(a6), b1, acc6_1);
    acc7_0 = fma(vec4f(a7), b0, acc7_0); acc7_1 = fma(vec4f(a7), b1, acc7_1);
  }

  // Each of the thread's outputs inside the matrix, stored by loops, not by 64 inlined stores: each store
  // carries the kernel's epilogue, and lavapipe's LLVM compile time grows faster than linearly with their
  // number. The bounds are not constants, so the loops stay loops.
  var sums = array<vec4f, 16>(acc0_0, acc0_1, acc1_0, acc1_1, acc2_0, acc2_1, acc3_0, acc3_1,
                              acc4_0, acc4_1, acc5_0, acc5_1, acc6_0, acc6_1, acc7_0, acc7_1);
  for (var r = 0u; r < 8u && r0 + r < M; r++) {
    for (var j = 0u; j < 8u && c0 + j < N; j++) {
      storeC(r0 + r, c0 + j, sums[2u * r + j / 4u][j % 4u]);
    }
  }
}
