// One test-time augmentation of ttach's Compose([HorizontalFlip(), Multiply(factors)]) on x [N, C, H, W]:
// y = factor * x, mirrored left-right when FLIP (the flip first, then the multiply, as the Compose applies them).

struct Params { count: u32, width: u32, _a: u32, _b: u32, factor: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  var j = i;
  if (FLIP) {
    let col = i % p.width;
    j = i - col + (p.width - 1u - col);
  }
  y[i] = x[j] * p.factor;
}
