// get_2d_projection's matrix, read in place: for image n, the activations x [N, C, L] (L = h*w pixels) as the
// L x C matrix of pixels by channels, centred by each channel's mean over the pixels (mean [N, C]). NaNs read
// as 0, as the library sets them before centring. The kernel declares `p` (with `channels` and `area`), `x` and
// `mean`.

fn centred(n: u32, c: u32, i: u32) -> f32 {
  let v = x[(n * p.channels + c) * p.area + i];
  return select(v, 0.0, v != v) - mean[n * p.channels + c];
}
