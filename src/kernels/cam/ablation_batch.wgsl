// AblationCAM's batch for image n: `count` copies of its activations [C, area], copy b with channel c0 + b
// replaced by the ablation value (pytorch-grad-cam's AblationLayer). When the image's minimum activation is
// exactly 0 (after a ReLU) that value is 0. Otherwise the library sets copy 0's channel to min - 1e7 and then,
// since it re-reads the minimum of the whole batch before each copy, copy b's to min - (b + 1) * 1e7, each
// subtraction rounded to f32: repeated here in the same order. With c0 >= C nothing is ablated (a plain repeat,
// e.g. of a block's input).

struct Params { count: u32, n: u32, c0: u32, channels: u32, area: u32, _a: u32, _b: u32, _c: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> act: array<f32>;
@group(0) @binding(2) var<storage, read> minimum: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn ablationValue(b: u32) -> f32 {
  let lo = minimum[p.n];
  if (lo == 0.0) { return 0.0; }
  var v = lo;
  for (var i = 0u; i <= b; i++) { v = v - 1e7; }
  return v;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = flatWorkgroupId(wg, groups) * 256u + lid.x;
  if (i >= p.count) { return; }
  let plane = p.channels * p.area;
  let b = i / plane;
  let j = i % plane;
  let c = j / p.area;
  if (c == p.c0 + b) {
    y[i] = ablationValue(b);
  } else {
    y[i] = act[p.n * plane + j];
  }
}
