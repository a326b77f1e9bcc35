// Linear layer input gradient dx = dy W: dy [rows, outFeatures], W [outFeatures, inFeatures].
// A GEMM with M = rows, N = inFeatures, K = outFeatures on the shared tile core.

// Tile load order (see the GEMM core): dy[m, k] along k, W[k, n] along n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

struct Params { rows: u32, inFeatures: u32, outFeatures: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn gemmDims() -> vec3u { return vec3u(p.rows, p.inFeatures, p.outFeatures); }
fn loadA(m: u32, k: u32) -> f32 { return dy[m * p.outFeatures + k]; }
fn loadB(k: u32, n: u32) -> f32 { return w[k * p.inFeatures + n]; }
fn storeC(m: u32, n: u32, acc: f32) { dx[m * p.inFeatures + n] = acc; }
