// A plain GEMM, C[M,N] = A[M,K] B[K,N], row-major, on the shared tile core that every conv and linear kernel of
// wgcam is built on: the autotuner times the candidate tiles with it, and the bench reads per-layer figures
// against it as the roofline.

// Tile load order (see the GEMM core): row-major A along k, row-major B along n.
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;

struct Params { m: u32, n: u32, k: u32, _pad: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn gemmDims() -> vec3u { return vec3u(p.m, p.n, p.k); }
fn loadA(m: u32, k: u32) -> f32 { return a[m * p.k + k]; }
fn loadB(k: u32, n: u32) -> f32 { return b[k * p.n + n]; }
fn storeC(m: u32, n: u32, acc: f32) { c[m * p.n + n] = acc; }
