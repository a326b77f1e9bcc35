// A CAM's channel sum: raw[n, i] = max(0, sum over c of camTerm(n, c, i)) (cam_term.wgsl), i over the h*w plane;
// the ReLU is compute_cam_per_layer's np.maximum(cam, 0). A workgroup covers 32 pixels x 8 channel slices:
// neighbouring threads read neighbouring pixels (coalesced), the slices split the channel sum (layer4 has 2048
// channels but only 49 pixels), and the 8 partial sums are added in workgroup memory.

struct Params { images: u32, channels: u32, area: u32, _a: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> raw: array<f32>;

const PIXELS: u32 = 32u;
const SLICES: u32 = 8u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tiles = (p.area + PIXELS - 1u) / PIXELS;
  let g = flatWorkgroupId(wg, groups);
  let n = g / tiles;
  let i = (g % tiles) * PIXELS + lid.x;
  // Uniform control flow is required around barriers: out-of-range threads still take part, writing nothing.
  let valid = n < p.images && i < p.area;
  var s = 0.0;
  if (valid) {
    for (var c = lid.y; c < p.channels; c += SLICES) { s += camTerm(n, c, i); }
  }
  partial[lid.y * PIXELS + lid.x] = s;
  workgroupBarrier();
  for (var stride = SLICES / 2u; stride > 0u; stride >>= 1u) {
    if (lid.y < stride) { partial[lid.y * PIXELS + lid.x] += partial[(lid.y + stride) * PIXELS + lid.x]; }
    workgroupBarrier();
  }
  if (valid && lid.y == 0u) { raw[n * p.area + i] = max(partial[lid.x], 0.0); }
}
