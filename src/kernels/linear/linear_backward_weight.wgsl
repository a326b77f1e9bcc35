// Linear layer weight gradient dW = dy^T x: dy [rows, outFeatures], x [rows, inFeatures].
// A GEMM with M = outFeatures, N = inFeatures, K = rows on the shared tile core.

// Tile load order (see the GEMM core): dy[k, m] along m, x[k, n] along n.
const A_M_CONTIGUOUS: bool = true;
const B_K_CONTIGUOUS: bool = false;

struct Params { rows: u32, inFeatures: u32, outFeatures: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

fn gemmDims() -> vec3u { return vec3u(p.outFeatures, p.inFeatures, p.rows); }
fn loadA(m: u32, k: u32) -> f32 { return dy[k * p.outFeatures + m]; }
fn loadB(k: u32, n: u32) -> f32 { return x[k * p.inFeatures + n]; }
fn storeC(m: u32, n: u32, acc: f32) { dw[m * p.inFeatures + n] = acc; }
