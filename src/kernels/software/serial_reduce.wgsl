// The interface of workgroup_reduce.wgsl for workgroups of one thread (REDUCE_THREADS = 1): the thread's strided
// loop has already covered every value, so each reduction returns its argument. No workgroup memory and no
// barrier, for adapters where those cost more than they save (kernels/config.ts: ReductionStyle).
fn workgroupMin(v: f32, lid: u32) -> f32 { return v; }
fn workgroupMax(v: f32, lid: u32) -> f32 { return v; }
fn workgroupSum(v: f32, lid: u32) -> f32 { return v; }
fn workgroupSum2(v: vec2f, lid: u32) -> vec2f { return v; }
