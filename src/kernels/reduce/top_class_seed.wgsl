// Grad-CAM's seed for the top class, on the GPU: per row n of logits [N, CLASSES], the first index of the
// largest logit (np.argmax's choice, and topK's: ties go to the lower index; NaN is never the largest), then
// seed[n, :] = one-hot of it and topIndex[n] = that index (as f32, exact below 2^24). With the seed made here, the
// backward is encoded and submitted behind the forward without waiting for the logits to come back.
// One workgroup per row: each thread scans a strided part of the row, then a tree over the threads.
struct Seed { rows: u32, classes: u32, _a: u32, _b: u32 }

@group(0) @binding(0) var<uniform> p: Seed;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> seed: array<f32>;
@group(0) @binding(3) var<storage, read_write> topIndex: array<f32>;

const THREADS: u32 = 64u;
var<workgroup> bestValue: array<f32, THREADS>;
var<workgroup> bestIndex: array<u32, THREADS>;

// Whether (v, i) comes before (w, j): larger, or equal and earlier.
fn before(v: f32, i: u32, w: f32, j: u32) -> bool {
  return v > w || (v == w && i < j);
}

@compute @workgroup_size(THREADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = flatWorkgroupId(wg, groups);
  if (row >= p.rows) { return; } // the overhang of a folded grid (the whole workgroup)
  let t = lid.x;
  let first = row * p.classes;
  // 0xffffffff marks "nothing yet": a row of NaNs keeps it, and the seed then picks class 0 (topK's order).
  var v = 0.0;
  var i = 0xffffffffu;
  for (var c = t; c < p.classes; c += THREADS) {
    let x = logits[first + c];
    if (x == x && (i == 0xffffffffu || before(x, c, v, i))) { v = x; i = c; }
  }
  bestValue[t] = v;
  bestIndex[t] = i;
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      let w = bestValue[t + half];
      let j = bestIndex[t + half];
      if (j != 0xffffffffu && (bestIndex[t] == 0xffffffffu || before(w, j, bestValue[t], bestIndex[t]))) {
        bestValue[t] = w;
        bestIndex[t] = j;
      }
    }
    workgroupBarrier();
  }
  let top = select(bestIndex[0], 0u, bestIndex[0] == 0xffffffffu);
  for (var c = t; c < p.classes; c += THREADS) { seed[first + c] = select(0.0, 1.0, c == top); }
  if (t == 0u) { topIndex[row] = f32(top); }
}
