// The top eigenvector of each image's symmetric positive semi-definite Gram matrix K [N, size, size] by power
// iteration: v <- K v / |K v|, from the column of K with the largest diagonal entry (a vector with a large
// component along the top eigenvector), until no entry moves by more than TOLERANCE or after MAX_ITERATIONS.
// Writes v [N, size] and the eigenvalue |K v| [N]. One workgroup per image; the vectors live in storage
// (`v`, and `w` for K v), ordered between the threads by storage barriers.

struct Params { images: u32, size: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gram: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> eigenvalue: array<f32>;

var<workgroup> moved: f32;
var<workgroup> start: u32;

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  if (n >= p.images) { return; } // uniform: the whole workgroup leaves
  let m = p.size;
  let k0 = n * m * m;
  let v0 = n * m;
  if (lid.x == 0u) {
    var best = 0u;
    for (var i = 1u; i < m; i++) { if (gram[k0 + i * m + i] > gram[k0 + best * m + best]) { best = i; } }
    start = best;
  }
  let j = workgroupUniformLoad(&start);
  var norm = 0.0;
  {
    var s = 0.0;
    for (var i = lid.x; i < m; i += REDUCE_THREADS) { let e = gram[k0 + i * m + j]; v[v0 + i] = e; s += e * e; }
    norm = sqrt(workgroupSum(s, lid.x));
    for (var i = lid.x; i < m; i += REDUCE_THREADS) { v[v0 + i] = select(0.0, v[v0 + i] / norm, norm > 0.0); }
    storageBarrier();
  }
  var value = 0.0;
  for (var it = 0u; it < MAX_ITERATIONS; it++) {
    var s = 0.0;
    for (var i = lid.x; i < m; i += REDUCE_THREADS) {
      var e = 0.0;
      for (var k = 0u; k < m; k++) { e += gram[k0 + i * m + k] * v[v0 + k]; }
      w[v0 + i] = e;
      s += e * e;
    }
    value = sqrt(workgroupSum(s, lid.x));
    var d = 0.0;
    for (var i = lid.x; i < m; i += REDUCE_THREADS) {
      let next = select(0.0, w[v0 + i] / value, value > 0.0);
      d = max(d, abs(next - v[v0 + i]));
    }
    let change = workgroupMax(d, lid.x);
    // Every thread has read v above (the reductions hold barriers), so it may now be overwritten.
    storageBarrier();
    for (var i = lid.x; i < m; i += REDUCE_THREADS) { v[v0 + i] = select(0.0, w[v0 + i] / value, value > 0.0); }
    storageBarrier();
    if (lid.x == 0u) { moved = change; }
    if (workgroupUniformLoad(&moved) <= TOLERANCE) { break; }
  }
  if (lid.x == 0u) { eigenvalue[n] = value; }
}
