// The conv forward's bindings and its fused epilogue, shared by its two forms: conv2d.wgsl (a GEMM) and
// software/conv2d_window.wgsl. The steps are bits of the uniform's `epilogue` (geometry.ts, epilogueBits), not
// constants, so that one pipeline serves a conv with any epilogue (one test per output, after the sums): affine
// (y = conv * scale[c] + shift[c]: eval batchnorm folded per channel, or a bias), residual (add the residual
// tensor), ReLU. Unused bindings are bound to a dummy buffer and never read.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read> shift: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

// The conv's sum for output channel c at flat index `index` of y, through the epilogue into y.
fn storeOutput(c: u32, index: u32, acc: f32) {
  var v = acc;
  if ((p.epilogue & 1u) != 0u) { v = v * scale[c] + shift[c]; }
  if ((p.epilogue & 2u) != 0u) { v += residual[index]; }
  if ((p.epilogue & 4u) != 0u) { v = max(v, 0.0); }
  y[index] = v;
}
