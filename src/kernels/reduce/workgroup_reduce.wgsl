// Tree reductions across one workgroup of REDUCE_THREADS threads (a power of two, set by the wrapper with
// `reductionThreads`: no more threads than the values to reduce, since each idle thread still costs its share of
// every barrier on a CPU adapter). Every thread passes its partial value (from a strided loop over a plane or a
// channel) and every thread gets the result back. The additions happen in a fixed order, so results are
// deterministic. They contain barriers: call them from uniform control flow, with all threads of the workgroup.

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

fn workgroupSum(v: f32, lid: u32) -> f32 {
  reduceScratch[lid] = v;
  workgroupBarrier();
  for (var s = REDUCE_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { reduceScratch[lid] += reduceScratch[lid + s]; }
    workgroupBarrier();
  }
  let r = reduceScratch[0];
  workgroupBarrier();
  return r;
}

// Two sums in one tree (half the barriers of two workgroupSum calls).
var<workgroup> reduceScratch2: array<vec2f, REDUCE_THREADS>;

fn workgroupSum2(v: vec2f, lid: u32) -> vec2f {
  reduceScratch2[lid] = v;
  workgroupBarrier();
  for (var s = REDUCE_THREADS / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { reduceScratch2[lid] += reduceScratch2[lid + s]; }
    workgroupBarrier();
  }
  let r = reduceScratch2[0];
  workgroupBarrier();
  return r;
}
