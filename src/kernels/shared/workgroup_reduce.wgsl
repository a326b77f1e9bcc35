// Tree reductions across one workgroup of REDUCE_THREADS threads (a power of two). Every thread passes its
// partial value (from a strided loop over a plane) and every thread gets the result back. They contain
// barriers: call them from uniform control flow, with all threads of the workgroup.
const REDUCE_THREADS: u32 = 256u;

var<workgroup> reduceScratch: array<f32, REDUCE_THREADS>;

fn workgroupMin(v: f32, lid: u32) -> f32 {
  reduceScratch[lid] = v;
  workgroupBarrier();
  for (var s = REDUCE_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { reduceScratch[lid] = min(reduceScratch[lid], reduceScratch[lid + s]); }
    workgroupBarrier();
  }
  let r = reduceScratch[0];
  // The scratch is reused by the next reduction: everyone must have read the result first.
  workgroupBarrier();
  return r;
}

fn workgroupMax(v: f32, lid: u32) -> f32 {
  reduceScratch[lid] = v;
  workgroupBarrier();
  for (var s = REDUCE_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { reduceScratch[lid] = max(reduceScratch[lid], reduceScratch[lid + s]); }
    workgroupBarrier();
  }
  let r = reduceScratch[0];
  workgroupBarrier();
  return r;
}
