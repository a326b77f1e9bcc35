// Softmax cross-entropy over logits [rows, classes] with integer labels, one workgroup per row:
//   rowLoss[r] = log(sum exp(x - max)) + max - x[label]   (log-sum-exp: exact even where softmax underflows)
//   dlogits[r] = (softmax - onehot(label)) / rows        (the gradient of the batch mean)
// The max and the sum are tree reductions in workgroup memory. The batch mean of rowLoss is a second step.
// A label outside [0, classes) gives a NaN loss rather than a read out of bounds.

struct Params { rows: u32, classes: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;

var<workgroup> scratch: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = flatWorkgroupId(wg, groups);
  // Uniform control flow is required around barriers: out-of-range groups still take part, writing nothing.
  let valid = row < p.rows;
  let base = row * p.classes;
  var m = -3.402823e38;
  if (valid) {
    for (var i = lid.x; i < p.classes; i += 64u) { m = max(m, logits[base + i]); }
  }
  scratch[lid.x] = m;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { scratch[lid.x] = max(scratch[lid.x], scratch[lid.x + s]); }
    workgroupBarrier();
  }
  let rowMax = scratch[0];
  workgroupBarrier();
  var total = 0.0;
  if (valid) {
    for (var i = lid.x; i < p.classes; i += 64u) { total += exp(logits[base + i] - rowMax); }
  }
  scratch[lid.x] = total;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid.x < s) { scratch[lid.x] += scratch[lid.x + s]; }
    workgroupBarrier();
  }
  let denominator = scratch[0];
  if (!valid) { return; }
  let label = labels[row];
  let batch = f32(p.rows);
  for (var i = lid.x; i < p.classes; i += 64u) {
    let onehot = select(0.0, 1.0, i == label);
    dlogits[base + i] = (exp(logits[base + i] - rowMax) / denominator - onehot) / batch;
  }
  if (lid.x == 0u) {
    // NaN for a bad label; `| label` keeps the bit pattern out of constant evaluation, which rejects NaN.
    var loss = bitcast<f32>(0x7fc00000u | label);
    if (label < p.classes) { loss = log(denominator) + rowMax - logits[base + label]; }
    rowLoss[row] = loss;
  }
}
