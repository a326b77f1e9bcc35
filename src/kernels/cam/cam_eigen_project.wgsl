// get_2d_projection's result: the centred L x C matrix M (cam_eigen_centred.wgsl) projected on its first right
// singular vector, projection = M v1 [N, L]. From the Gram's top eigenvector u and eigenvalue lambda
// (cam_eigen_power): with the pixel Gram (M M^T = U S^2 U^T) M v1 = sqrt(lambda) u; with the channel Gram
// (M^T M) u is v1 itself and M u is formed here. The sign of a singular vector is arbitrary (LAPACK's in
// pytorch-grad-cam); here the projection is oriented so that its entry of largest magnitude is positive (a
// tie between +m and -m keeps the sign found). One workgroup per image.

struct Params { images: u32, channels: u32, area: u32, size: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> eigenvalue: array<f32>;
@group(0) @binding(5) var<storage, read_write> projection: array<f32>;

fn project(n: u32, i: u32) -> f32 {
  if (PIXEL_GRAM) { return sqrt(eigenvalue[n]) * u[n * p.size + i]; }
  var s = 0.0;
  for (var c = 0u; c < p.channels; c++) { s += centred(n, c, i) * u[n * p.size + c]; }
  return s;
}

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = n < p.images;
  var hi = 0.0;
  var lo = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) {
      let e = project(n, i);
      projection[n * p.area + i] = e;
      hi = max(hi, e);
      lo = max(lo, -e);
    }
  }
  let largest = workgroupMax(hi, lid.x);
  let smallest = workgroupMax(lo, lid.x);
  if (!valid || smallest <= largest) { return; }
  for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { projection[n * p.area + i] = -projection[n * p.area + i]; }
}
