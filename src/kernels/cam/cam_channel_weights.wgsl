// Per-channel CAM weights from the activations A and the gradient G of one (n, c) plane, as pytorch-grad-cam
// computes them (S = the plane's sum of A):
//   WEIGHTS 0, Grad-CAM++ (grad_cam_plusplus.py): a = G^2 / (2 G^2 + S G^3 + 1e-6), 0 where G == 0;
//              w = sum of max(G, 0) * a
//   WEIGHTS 1, XGrad-CAM (xgrad_cam.py): w = sum of G * A / (S + 1e-7)
// One workgroup per plane: a strided sum of A, the shared reduction, then a second strided pass for w (each
// term formed as numpy forms it, then summed).

struct Params { planes: u32, area: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;

fn weightTerm(g: f32, a: f32, s: f32) -> f32 {
  if (WEIGHTS == 0u) {
    if (g == 0.0) { return 0.0; }
    let g2 = g * g;
    let g3 = g2 * g;
    return max(g, 0.0) * (g2 / (2.0 * g2 + s * g3 + 1e-6));
  }
  return g * a / (s + 1e-7);
}

@compute @workgroup_size(REDUCE_THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let plane = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = plane < p.planes;
  let base = plane * p.area;
  var s = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { s += act[base + i]; }
  }
  let total = workgroupSum(s, lid.x);
  var w = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.area; i += REDUCE_THREADS) { w += weightTerm(grad[base + i], act[base + i], total); }
  }
  let weight = workgroupSum(w, lid.x);
  if (valid && lid.x == 0u) { weights[plane] = weight; }
}
