// Linear layer y = x W^T + b (PyTorch's nn.Linear): x [rows, inFeatures], W [outFeatures, inFeatures].
// A GEMM with M = rows, N = outFeatures, K = inFeatures on the shared tile core; the bias is the epilogue.

// Tile load order (see the GEMM core): x[m, k] and W[n, k] are both contiguous along k.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = true;

struct Params { rows: u32, inFeatures: u32, outFeatures: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn gemmDims() -> vec3u { return vec3u(p.rows, p.outFeatures, p.inFeatures); }
fn loadA(m: u32, k: u32) -> f32 { return x[m * p.inFeatures + k]; }
fn loadB(k: u32, n: u32) -> f32 { return w[n * p.inFeatures + k]; }
fn storeC(m: u32, n: u32, acc: f32) { y[m * p.outFeatures + n] = acc + bias[n]; }
