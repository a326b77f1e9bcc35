// Parameters shared by the three conv kernels (forward, input gradient, weight gradient). The shape class
// (KH, KW, STRIDE, PAD) is also given as compile-time constants by the wrapper, and the spatial sizes through
// inH(), inW(), outH(), outW(), which return constants (IN_H, ...) for the kernels whose index arithmetic
// divides by them on every load (division by a constant compiles to a multiply and a shift) and the uniform's
// fields for those that only multiply or compare (geometry.ts, convPrelude): fewer pipelines to compile. Channels and batch stay
// run-time values, so one pipeline serves every batch size above one; ONE_IMAGE (batch 1) gets its own, whose
// loads skip the split of a flat (image, pixel) index (see imageOf).
struct Conv {
  batch: u32, inChannels: u32, inH: u32, inW: u32,
  outChannels: u32, outH: u32, outW: u32, kH: u32,
  kW: u32, stride: u32, pad: u32,
  /** The K slice length of split-K (forward and weight gradient). */
  sliceK: u32,
  /** The forward's epilogue steps (conv_epilogue.wgsl): affine 1, residual 2, ReLU 4. */
  epilogue: u32,
}

// Image and pixel of a flat index n = (image, pixel) over `area` pixels per image. At batch 1 the pixel is n
// itself: no division in the loads, which the untiled GEMM core makes 8 times per step (bench/NOTES.md).
fn imageOf(n: u32, area: u32) -> u32 {
  if (ONE_IMAGE) { return 0u; }
  return n / area;
}

fn pixelIn(n: u32, area: u32) -> u32 {
  if (ONE_IMAGE) { return n; }
  return n % area;
}
