// One operand as the precision asks (OPERANDS_F16, from the wrapper): rounded to the nearest f16 (ties to even)
// for f16 operands, so that kernels without workgroup tiles (the untiled GEMM core, the few-channel input
// gradient) compute what the tiled cores do with the same operands (they have no tiles to halve, so f16 saves
// them nothing). Rounded on the bits, because compilers fold f32(f16(v)), and even
// unpack2x16float(pack2x16float(v)), into v (lavapipe does).
fn operand(v: f32) -> f32 {
  if (!OPERANDS_F16) { return v; }
  // f16's subnormals, below 2^-14, are the multiples of 2^-24; scaling by a power of two is exact.
  if (abs(v) < 6.103515625e-5) { return round(v * 16777216.0) / 16777216.0; }
  // Normal: keep 10 of f32's 23 mantissa bits, rounding the 13 dropped ones to nearest, ties to even.
  let bits = bitcast<u32>(v);
  let rounded = (bits + 0xfffu + ((bits >> 13u) & 1u)) & 0xffffe000u;
  // Past f16's largest finite value (65504): infinity, as the conversion gives.
  if (abs(bitcast<f32>(rounded)) > 65504.0) { return bitcast<f32>((bits & 0x80000000u) | 0x7f800000u); }
  return bitcast<f32>(rounded);
}
