// One FullGrad saliency value: |factor * grad| at element i (of channel c) of grad [N, C, h, w]. PER_CHANNEL: the
// factor is a batchnorm's folded bias [C] (beta - mean * gamma / sqrt(var + eps)) and grad the gradient at that
// batchnorm's output; otherwise the factor is the input itself and grad the input gradient (|x * dx|).
// The including kernel binds `factor` and `grad`.
fn fullGradTerm(i: u32, c: u32) -> f32 {
  if (PER_CHANNEL) { return abs(factor[c] * grad[i]); }
  return abs(grad[i] * factor[i]);
}
