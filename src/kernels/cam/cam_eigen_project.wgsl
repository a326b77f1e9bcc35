// get_2d_projection's result: the centred L x C matrix M (cam_eigen_centred.wgsl) projected on its first right
// singular vector, projection = M v1 [N, L]. From the Gram's top eigenvector u and eigenvalue lambda
// (cam_eigen_power): with the pixel Gram (M M^T = U S^2 U^T) M v1 = sqrt(lambda) u; with the channel Gram
// (M^T M) u is v1 itself and M u is formed here.
//
// Orientation: a singular vector's sign is arbitrary. FIRST_NEGATIVE orients the projection so that its first
// pixel (top left) is negative, else positive; src/cam/eigen.ts says which it picks and why. Every thread forms
// the first pixel's value itself (the same arithmetic as the loop's), so no thread waits for another. One
// workgroup per image.

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

@compute @workgroup_size(PROJECT_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = flatWorkgroupId(wg, groups);
  if (n >= p.images) { return; }
  let first = project(n, 0u);
  var sign = 1.0;
  if ((FIRST_NEGATIVE && first > 0.0) || (!FIRST_NEGATIVE && first < 0.0)) { sign = -1.0; }
  for (var i = lid.x; i < p.area; i += PROJECT_THREADS) { projection[n * p.area + i] = sign * project(n, i); }
}
