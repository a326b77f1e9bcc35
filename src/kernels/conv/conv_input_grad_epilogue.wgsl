// The input gradient's fused epilogue, shared by the kernels that store dx (conv2d_backward_input.wgsl, its
// split-K sum, col2im.wgsl and software/conv2d_backward_input_window.wgsl): the first steps of the backward of
// the op that produced the conv's input, done on each dx value as it is stored instead of in passes of their
// own (model/tape.ts, "gradient prologues"). Constants from the wrapper:
// - DX_ADD: add another gradient of the same tensor (a branch sum at a residual block's input);
// - DX_RELU_MASK: zero where the forward's ReLU output (the conv's input) was not positive;
// - DX_SCALE: times scale[c] per input channel (eval batchnorm's backward).
// Applied in that order, which is the order of the passes they replace. Bindings 4-6; the kernel's own are 0-3.

@group(0) @binding(4) var<storage, read> dxAddend: array<f32>;
@group(0) @binding(5) var<storage, read> dxReluOutput: array<f32>;
@group(0) @binding(6) var<storage, read> dxScale: array<f32>;

// dx at flat index `index` of input channel c, from the conv's own sum.
fn inputGradEpilogue(c: u32, index: u32, acc: f32) -> f32 {
  var v = acc;
  if (DX_ADD) { v += dxAddend[index]; }
  if (DX_RELU_MASK) { v = select(0.0, v, dxReluOutput[index] > 0.0); }
  if (DX_SCALE) { v *= dxScale[c]; }
  return v;
}
