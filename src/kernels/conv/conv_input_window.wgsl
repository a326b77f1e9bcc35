// One element of a conv's input window: x[b, ci, oy*STRIDE + ky - PAD, ox*STRIDE + kx - PAD] for output pixel
// `pix` = (oy, ox) and kernel tap `tap` = (ky, kx), or 0 in the padding. The forward and the weight gradient
// both read the input this way (as their B matrix); each binds the conv input as `x`.
fn inputWindow(b: u32, ci: u32, pix: u32, tap: u32) -> f32 {
  // A 1x1 kernel without padding never leaves the input, so it needs no bounds test; at stride 1 the output
  // pixel is the input pixel. Both tests are on constants, so the compiler drops the branches not taken, and
  // most of ResNet50's convs (all its 1x1s) load B without the window arithmetic.
  if (KH == 1u && KW == 1u && PAD == 0u) {
    let plane = (b * p.inChannels + ci) * inH() * inW();
    if (STRIDE == 1u) { return x[plane + pix]; }
    return x[plane + (pix / outW()) * STRIDE * inW() + (pix % outW()) * STRIDE];
  }
  let oy = pix / outW();
  let ox = pix % outW();
  // i32 so that padding positions (negative) are rejected by one comparison each.
  let iy = i32(oy * STRIDE + tap / KW) - i32(PAD);
  let ix = i32(ox * STRIDE + tap % KW) - i32(PAD);
  if (iy < 0 || ix < 0 || iy >= i32(inH()) || ix >= i32(inW())) { return 0.0; }
  return x[((b * p.inChannels + ci) * inH() + u32(iy)) * inW() + u32(ix)];
}
