// Split-K for the conv GEMMs (split_k.ts): workgroup z (`gemmBatch`, from the GEMM core) takes K slice
// [z*sliceK, (z+1)*sliceK) of the reduction (`p.sliceK`, conv_params.wgsl). Constants from the wrapper: SLICED
// (more than one slice; else sliceK is K and no slice arithmetic is done), OVERHANG (the last slice runs past
// K, so the loaders test for it and load 0).

// Step k of this workgroup's slice as a step of the whole reduction.
fn reductionStep(k: u32) -> u32 {
  if (SLICED) { return gemmBatch * p.sliceK + k; }
  return k;
}

// Whether whole-reduction step kk exists in a reduction of `length` steps.
fn inReduction(kk: u32, length: u32) -> bool {
  return !OVERHANG || kk < length;
}
