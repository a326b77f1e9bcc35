// De-augment one test-time augmentation's map [N, H, W] and add it to the running sum (pytorch-grad-cam's
// forward_augmentation_smoothing: ttach's deaugment_mask mirrors the flipped ones back, Multiply leaves masks
// alone; then np.mean over the runs in float32: a sum in run order, divided by the count at the end).
// FLIP: this run was mirrored. FIRST: the sum starts here. LAST: divide by p.runs after adding.

struct Params { count: u32, width: u32, _a: u32, _b: u32, runs: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> map: array<f32>;
@group(0) @binding(2) var<storage, read_write> sum: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  var j = i;
  if (FLIP) {
    let col = i % p.width;
    j = i - col + (p.width - 1u - col);
  }
  var v = map[j];
  if (!FIRST) { v = sum[i] + v; }
  if (LAST) { v = v / p.runs; }
  sum[i] = v;
}
