// The gradient a ReLU passes back, from its output gradient dy and its output y (y > 0 exactly where its input
// was > 0, so a fused or in-place ReLU need not keep its input). 0 at y == 0, as PyTorch.
// GUIDED: guided backpropagation (pytorch-grad-cam's GuidedBackpropReLU): only positive gradients pass, and only
// where the input was positive.
fn reluGrad(dy: f32, y: f32) -> f32 {
  if (GUIDED) { return select(0.0, dy, y > 0.0 && dy > 0.0); }
  return select(0.0, dy, y > 0.0);
}
