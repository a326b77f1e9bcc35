// The order in which a stride-2 conv with a wide window (the stem's 7x7; PHASE_ORDER from the wrapper) adds its
// products on the direct core, in both of its forms: for each (input channel, tap row), the even taps kx = 0, 2,
// 4, 6, then the odd ones 1, 3, 5. The direct forward (conv2d_direct.wgsl) reads one stride phase's window per
// loop step in that order, which ran the stem 1.4-1.6x faster than reading both phases' windows in each step
// (bench/NOTES.md); the GEMM form's columns (im2col.wgsl) and weight loads (conv2d.wgsl) take the same order,
// so both forms still give the same sums, bit for bit.

// The tap kx at position j (0 <= j < KW) of a tap row in the reduction.
fn kxAtPosition(j: u32) -> u32 {
  if (!PHASE_ORDER) { return j; }
  let evenTaps = (KW + 1u) / 2u;
  return select(2u * (j - evenTaps) + 1u, 2u * j, j < evenTaps);
}
