// One channel's term of a CAM's channel combination (pytorch-grad-cam's get_cam_image), shared by cam_channel_sum
// (the sum over channels) and cam_terms (the terms themselves, for eigen_smooth's principal component).
// TERM picks the method's combination of the activation a = act[n, c, i] and `aux`:
//   0: weights[n, c] * a   (aux = weights [N, C]: Grad-CAM, Grad-CAM++, XGrad-CAM)
//   1: g * a               (aux = gradient [N, C, area]: HiResCAM, EigenGradCAM)
//   2: max(g * a, 0)       (Grad-CAM element-wise)
//   3: max(g, 0) * a       (LayerCAM)
// The kernel declares `p` (with `channels` and `area`), `act` and `aux`.

fn camTerm(n: u32, c: u32, i: u32) -> f32 {
  let plane = n * p.channels + c;
  let a = act[plane * p.area + i];
  if (TERM == 0u) { return aux[plane] * a; }
  let g = aux[plane * p.area + i];
  if (TERM == 1u) { return g * a; }
  if (TERM == 2u) { return max(g * a, 0.0); }
  return max(g, 0.0) * a;
}
