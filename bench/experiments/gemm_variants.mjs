// Times GEMM kernel variants on the adapter Dawn picks, outside the project's kernels: the experiment behind
// the tile choices in bench/NOTES.md. Each variant's result is checked against a CPU product.
//   node --import tsx/esm bench/experiments/gemm_variants.mjs                         (lavapipe)
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node --import tsx/esm bench/experiments/gemm_variants.mjs
//   M=512 N=512 K=512 ONLY=cur_,wgu_t8x8 node --import tsx/esm bench/experiments/gemm_variants.mjs
// (It takes Dawn from src/node/gpu.ts, hence tsx. A Dawn instance of its own, made in this file, crashed in
// Mesa on the first dispatch on 2026-11-29, with this file as it was before today's changes too.)
// Variants: cur_* the scalar core (src/kernels/shared/gemm_tile.wgsl) in several thread grids; direct_* no
// workgroup memory, vec4 loads from storage; wgvec4_* / wgv_* vec4 workgroup tiles with indexed accumulator
// arrays; wgu_* the same with the accumulators unrolled into named variables (what gemm_tile_vec4.wgsl does);
// core_vec4 and core_direct_* the project's cores themselves. Needs M, N multiples of 64*4 and K of 32 for the vec4 variants.
import { readFileSync } from 'node:fs';
import { nodeGpu } from '../../src/node/gpu.ts';
// The project's own Dawn instance (kept alive by src/node/gpu.ts); the interval keeps Node's event loop alive
// while Dawn works.
const gpu = nodeGpu();
const keep = setInterval(() => {}, 100);
const adapter = await gpu.requestAdapter();
const lim = {}; for (const k in adapter.limits) lim[k] = adapter.limits[k];
const device = await adapter.requestDevice({ requiredLimits: lim, requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [] });
const info = adapter.info; console.log(info.vendor, info.architecture, info.description);
const M = +process.env.M || 512, N = +process.env.N || 512, K = +process.env.K || 512;
function buf(n, init) { const b = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }); if (init) device.queue.writeBuffer(b, 0, init); return b; }
const A = new Float32Array(M * K).map(() => Math.random() - 0.5), B = new Float32Array(K * N).map(() => Math.random() - 0.5);
const ref = new Float32Array(M * N);
for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) { const a = A[m * K + k]; for (let n = 0; n < N; n++) ref[m * N + n] += a * B[k * N + n]; }
const bA = buf(M * K, A), bB = buf(K * N, B), bC = buf(M * N);
const uni = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(uni, 0, new Uint32Array([M, N, K, 0]));
const head = `struct P { m: u32, n: u32, k: u32, _p: u32 }
@group(0) @binding(0) var<uniform> p: P;`;
const variants = {};
// V0 current core
const core = readFileSync(new URL('./gemm_tile_scalar.wgsl', import.meta.url), 'utf8');
const scalarIO = `@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
fn gemmDims() -> vec3u { return vec3u(p.m, p.n, p.k); }
fn loadA(m: u32, k: u32) -> f32 { return a[m * p.k + k]; }
fn loadB(k: u32, n: u32) -> f32 { return b[k * p.n + n]; }
fn storeC(m: u32, n: u32, acc: f32) { c[m * p.n + n] = acc; }
const A_M_CONTIGUOUS: bool = false;
const B_K_CONTIGUOUS: bool = false;
alias OPERAND = f32;`;
const T = (tm, tn, tk, thm, thn) => `const TILE_M: u32 = ${tm}u; const TILE_N: u32 = ${tn}u; const TILE_K: u32 = ${tk}u; const THREADS_M: u32 = ${thm}u; const THREADS_N: u32 = ${thn}u;`;
variants.cur_16x16t_4x4 = { code: [head, T(64, 64, 16, 16, 16), scalarIO, core].join('\n'), groups: [N / 64, M / 64] };
variants.cur_8x8t_8x8 = { code: [head, T(64, 64, 16, 8, 8), scalarIO, core].join('\n'), groups: [N / 64, M / 64] };
variants.cur_8x8t_4x4 = { code: [head, T(32, 32, 16, 8, 8), scalarIO, core].join('\n'), groups: [N / 32, M / 32] };
variants.cur_4x8t_8x8 = { code: [head, T(32, 64, 16, 4, 8), scalarIO, core].join('\n'), groups: [N / 64, M / 32] };
// V3: no workgroup memory, vec4 global loads. thread owns RM rows x 4*CN cols (consecutive)
const direct = (RM, CN, WX, WY) => `${head}
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const RM: u32 = ${RM}u; const CN: u32 = ${CN}u;
@compute @workgroup_size(${WX}, ${WY}, 1)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let m0 = g.y * RM; let n4 = g.x * CN;
  let K4 = p.k / 4u; let N4 = p.n / 4u;
  var acc: array<array<vec4f, CN>, RM>;
  for (var k = 0u; k < K4; k++) {
    var bv: array<array<vec4f, CN>, 4>;
    for (var j = 0u; j < 4u; j++) { for (var c = 0u; c < CN; c++) { bv[j][c] = b[(k * 4u + j) * N4 + n4 + c]; } }
    for (var r = 0u; r < RM; r++) {
      let av = a[(m0 + r) * K4 + k];
      for (var c = 0u; c < CN; c++) {
        acc[r][c] = fma(vec4f(av.x), bv[0][c], acc[r][c]);
        acc[r][c] = fma(vec4f(av.y), bv[1][c], acc[r][c]);
        acc[r][c] = fma(vec4f(av.z), bv[2][c], acc[r][c]);
        acc[r][c] = fma(vec4f(av.w), bv[3][c], acc[r][c]);
      }
    }
  }
  for (var r = 0u; r < RM; r++) { for (var q = 0u; q < CN; q++) { c[(m0 + r) * N4 + n4 + q] = acc[r][q]; } }
}`;
for (const [rm, cn, wx, wy] of [[4, 1, 16, 16], [4, 1, 8, 8], [8, 1, 8, 8], [4, 2, 8, 8], [8, 2, 8, 8], [4, 1, 64, 1], [4,1,4,4]]) {
  variants[`direct_${rm}x${cn * 4}_wg${wx}x${wy}`] = { code: direct(rm, cn, wx, wy), groups: [N / 4 / cn / wx, M / rm / wy] };
}
// V2: vec4 workgroup tiles, 16x16 threads each 4x4 consecutive, 64x64 tile, TK 16
const wgvec = (TK) => `${head}
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const TK: u32 = ${TK}u;
var<workgroup> tA: array<array<vec4f, 16>, TK>; // [k][m/4]
var<workgroup> tB: array<array<vec4f, 16>, TK>; // [k][n/4]
@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m0 = wg.y * 64u; let n0 = wg.x * 64u; let K4 = p.k / 4u; let N4 = p.n / 4u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    // A tile: 64 rows x TK k. each thread loads vec4 along k of one row then scatters transposed
    for (var i = li; i < 64u * TK / 4u; i += 256u) {
      let row = i / (TK / 4u); let kq = i % (TK / 4u);
      let v = a[(m0 + row) * K4 + k0 / 4u + kq];
      let kk = kq * 4u;
      tA[kk][row / 4u][row % 4u] = v.x; tA[kk + 1u][row / 4u][row % 4u] = v.y; tA[kk + 2u][row / 4u][row % 4u] = v.z; tA[kk + 3u][row / 4u][row % 4u] = v.w;
    }
    for (var i = li; i < TK * 16u; i += 256u) {
      let kk = i / 16u; let c = i % 16u;
      tB[kk][c] = b[(k0 + kk) * N4 + n0 / 4u + c];
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let av = tA[k][lid.y]; let bv = tB[k][lid.x];
      acc[0] = fma(vec4f(av.x), bv, acc[0]);
      acc[1] = fma(vec4f(av.y), bv, acc[1]);
      acc[2] = fma(vec4f(av.z), bv, acc[2]);
      acc[3] = fma(vec4f(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) { c[(m0 + lid.y * 4u + r) * N4 + n0 / 4u + lid.x] = acc[r]; }
}`;
variants.wgvec4_tk16 = { code: wgvec(16), groups: [N / 64, M / 64] };
variants.wgvec4_tk32 = { code: wgvec(32), groups: [N / 64, M / 64] };

const wgv = (TX, TY, RA, CB, TK) => `${head}
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const TX: u32 = ${TX}u; const TY: u32 = ${TY}u; const RA: u32 = ${RA}u; const CB: u32 = ${CB}u; const TK: u32 = ${TK}u;
const TM4: u32 = TY * RA; const TN4: u32 = TX * CB; const NT: u32 = TX * TY;
var<workgroup> tA: array<array<vec4f, TM4>, TK>;
var<workgroup> tB: array<array<vec4f, TN4>, TK>;
@compute @workgroup_size(TX, TY, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m0 = wg.y * TM4 * 4u; let n04 = wg.x * TN4; let K4 = p.k / 4u; let N4 = p.n / 4u;
  var acc: array<array<vec4f, CB>, RA * 4u>;
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    for (var i = li; i < TM4 * TK; i += NT) {
      let row = i / (TK / 4u); let kq = i % (TK / 4u);
      let v = a[(m0 + row) * K4 + k0 / 4u + kq];
      let kk = kq * 4u; let g = row / 4u; let e = row % 4u;
      tA[kk][g][e] = v.x; tA[kk + 1u][g][e] = v.y; tA[kk + 2u][g][e] = v.z; tA[kk + 3u][g][e] = v.w;
    }
    for (var i = li; i < TK * TN4; i += NT) {
      let kk = i / TN4; let q = i % TN4;
      tB[kk][q] = b[(k0 + kk) * N4 + n04 + q];
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      var bv: array<vec4f, CB>;
      for (var j = 0u; j < CB; j++) { bv[j] = tB[k][lid.x + j * TX]; }
      for (var i = 0u; i < RA; i++) {
        let av = tA[k][lid.y + i * TY];
        for (var j = 0u; j < CB; j++) {
          acc[i * 4u][j] = fma(vec4f(av.x), bv[j], acc[i * 4u][j]);
          acc[i * 4u + 1u][j] = fma(vec4f(av.y), bv[j], acc[i * 4u + 1u][j]);
          acc[i * 4u + 2u][j] = fma(vec4f(av.z), bv[j], acc[i * 4u + 2u][j]);
          acc[i * 4u + 3u][j] = fma(vec4f(av.w), bv[j], acc[i * 4u + 3u][j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < RA; i++) { for (var r = 0u; r < 4u; r++) { for (var j = 0u; j < CB; j++) {
    c[(m0 + (lid.y + i * TY) * 4u + r) * N4 + n04 + lid.x + j * TX] = acc[i * 4u + r][j];
  } } }
}`;
for (const [tx, ty, ra, cb, tk] of [[16,16,1,1,16],[16,16,1,1,32],[8,8,2,2,16],[8,8,2,2,32],[8,8,1,1,32],[16,8,1,1,32],[8,16,1,1,32],[16,16,2,1,16],[16,16,1,2,16],[8,8,2,1,32],[8,8,1,2,32],[4,4,2,2,32]]) {
  const tm = ty*ra*4, tn = tx*cb*4;
  variants[`wgv_t${tx}x${ty}_r${ra}x${cb}_k${tk}`] = { code: wgv(tx,ty,ra,cb,tk), groups: [N / tn, M / tm] };
}

const wgu = (TX, TY, RA, CB, TK) => {
  const decl = [], body = [], store = [];
  for (let i = 0; i < RA * 4; i++) for (let j = 0; j < CB; j++) decl.push(`var acc${i}_${j} = vec4f(0.0);`);
  for (let j = 0; j < CB; j++) body.push(`let b${j} = tB[k][lid.x + ${j}u * TX];`);
  for (let i = 0; i < RA; i++) {
    body.push(`let a${i} = tA[k][lid.y + ${i}u * TY];`);
    for (let r = 0; r < 4; r++) for (let j = 0; j < CB; j++) body.push(`acc${i*4+r}_${j} = fma(vec4f(a${i}[${r}]), b${j}, acc${i*4+r}_${j});`);
  }
  for (let i = 0; i < RA; i++) for (let r = 0; r < 4; r++) for (let j = 0; j < CB; j++)
    store.push(`c[(m0 + (lid.y + ${i}u * TY) * 4u + ${r}u) * N4 + n04 + lid.x + ${j}u * TX] = acc${i*4+r}_${j};`);
  return `${head}
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const TX: u32 = ${TX}u; const TY: u32 = ${TY}u; const RA: u32 = ${RA}u; const CB: u32 = ${CB}u; const TK: u32 = ${TK}u;
const TM4: u32 = TY * RA; const TN4: u32 = TX * CB; const NT: u32 = TX * TY;
var<workgroup> tA: array<array<vec4f, TM4>, TK>;
var<workgroup> tB: array<array<vec4f, TN4>, TK>;
@compute @workgroup_size(TX, TY, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m0 = wg.y * TM4 * 4u; let n04 = wg.x * TN4; let K4 = p.k / 4u; let N4 = p.n / 4u;
  ${decl.join('\n  ')}
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    for (var i = li; i < TM4 * TK; i += NT) {
      let row = i / (TK / 4u); let kq = i % (TK / 4u);
      let v = a[(m0 + row) * K4 + k0 / 4u + kq];
      let kk = kq * 4u; let g = row / 4u; let e = row % 4u;
      tA[kk][g][e] = v.x; tA[kk + 1u][g][e] = v.y; tA[kk + 2u][g][e] = v.z; tA[kk + 3u][g][e] = v.w;
    }
    for (var i = li; i < TK * TN4; i += NT) {
      let kk = i / TN4; let q = i % TN4;
      tB[kk][q] = b[(k0 + kk) * N4 + n04 + q];
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      ${body.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${store.join('\n  ')}
}`; };
for (const [tx, ty, ra, cb, tk] of [[16,16,1,1,16],[16,16,1,1,8],[8,8,2,2,16],[8,8,2,2,8],[8,8,1,1,16],[16,16,2,1,16],[16,16,1,2,16],[8,8,2,1,16],[8,8,1,2,16],[4,4,2,2,16],[8,4,2,2,16],[16,8,1,2,16], [16,16,2,2,8],[8,8,2,2,32],[8,8,4,2,16],[8,8,2,4,16],[16,16,2,2,16]]) {
  const tm = ty*ra*4, tn = tx*cb*4;
  variants[`wgu_t${tx}x${ty}_r${ra}x${cb}_k${tk}`] = { code: wgu(tx,ty,ra,cb,tk), groups: [N / tn, M / tm] };
}

const core4 = readFileSync(new URL('../../src/kernels/gemm/gemm_tile_vec4.wgsl', import.meta.url), 'utf8');
// The project's two 8x8-block cores with their shared epilogue, as gemm_config.ts assembles them; core_direct in
// two thread grids (8x8 threads: 64x64 tiles; 16x4: 32 rows by 128 columns).
const storeVec4 = readFileSync(new URL('../../src/kernels/gemm/gemm_store_vec4.wgsl', import.meta.url), 'utf8');
const coreDirect = readFileSync(new URL('../../src/kernels/software/gemm_tile_untiled.wgsl', import.meta.url), 'utf8');
variants.core_vec4 = { code: [head, 'const TILE_K: u32 = 16u; const THREADS_M: u32 = 8u; const THREADS_N: u32 = 8u;', scalarIO, storeVec4, core4].join('\n'), groups: [Math.ceil(N / 64), Math.ceil(M / 64)] };
for (const [tm, tn] of [[8, 8], [4, 16], [16, 4], [4, 8], [8, 4]]) {
  const threads = `const THREADS_M: u32 = ${tm}u; const THREADS_N: u32 = ${tn}u; const OPERANDS_F16: bool = false;`;
  variants[`core_direct_t${tm}x${tn}`] = { code: [head, threads, scalarIO, storeVec4, coreDirect].join('\n'), groups: [Math.ceil(N / (8 * tn)), Math.ceil(M / (8 * tm))] };
}
// direct_named: no workgroup memory (so no barrier, and on SwiftShader no coroutine per subgroup), the core's
// 8x8 block per thread in named vec4 accumulators, A and B read straight from storage each step of k.
const directNamed = (WX, WY) => `${head}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
@compute @workgroup_size(${WX}, ${WY}, 1)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let m0 = g.y * 8u; let n4 = g.x * 2u; let N4 = p.n / 4u; let K = p.k;
  var c00 = vec4f(0.0); var c01 = vec4f(0.0); var c10 = vec4f(0.0); var c11 = vec4f(0.0);
  var c20 = vec4f(0.0); var c21 = vec4f(0.0); var c30 = vec4f(0.0); var c31 = vec4f(0.0);
  var c40 = vec4f(0.0); var c41 = vec4f(0.0); var c50 = vec4f(0.0); var c51 = vec4f(0.0);
  var c60 = vec4f(0.0); var c61 = vec4f(0.0); var c70 = vec4f(0.0); var c71 = vec4f(0.0);
  for (var k = 0u; k < K; k++) {
    let b0 = b[k * N4 + n4]; let b1 = b[k * N4 + n4 + 1u];
    let r = m0 * K + k;
    let a0 = a[r]; let a1 = a[r + K]; let a2 = a[r + 2u * K]; let a3 = a[r + 3u * K];
    let a4 = a[r + 4u * K]; let a5 = a[r + 5u * K]; let a6 = a[r + 6u * K]; let a7 = a[r + 7u * K];
    c00 = fma(vec4f(a0), b0, c00); c01 = fma(vec4f(a0), b1, c01);
    c10 = fma(vec4f(a1), b0, c10); c11 = fma(vec4f(a1), b1, c11);
    c20 = fma(vec4f(a2), b0, c20); c21 = fma(vec4f(a2), b1, c21);
    c30 = fma(vec4f(a3), b0, c30); c31 = fma(vec4f(a3), b1, c31);
    c40 = fma(vec4f(a4), b0, c40); c41 = fma(vec4f(a4), b1, c41);
    c50 = fma(vec4f(a5), b0, c50); c51 = fma(vec4f(a5), b1, c51);
    c60 = fma(vec4f(a6), b0, c60); c61 = fma(vec4f(a6), b1, c61);
    c70 = fma(vec4f(a7), b0, c70); c71 = fma(vec4f(a7), b1, c71);
  }
  let o = m0 * N4 + n4;
  c[o] = c00; c[o + 1u] = c01; c[o + N4] = c10; c[o + N4 + 1u] = c11;
  c[o + 2u * N4] = c20; c[o + 2u * N4 + 1u] = c21; c[o + 3u * N4] = c30; c[o + 3u * N4 + 1u] = c31;
  c[o + 4u * N4] = c40; c[o + 4u * N4 + 1u] = c41; c[o + 5u * N4] = c50; c[o + 5u * N4 + 1u] = c51;
  c[o + 6u * N4] = c60; c[o + 6u * N4 + 1u] = c61; c[o + 7u * N4] = c70; c[o + 7u * N4 + 1u] = c71;
}`;
variants.dnamed_wg8x8 = { code: directNamed(8, 8), groups: [N / 64, M / 64] };
variants.dnamed_wg16x4 = { code: directNamed(16, 4), groups: [N / 128, M / 32] };
const only = process.env.ONLY ? process.env.ONLY.split(',') : null;
for (const [name, v] of Object.entries(variants)) {
  if (only && !only.some((o) => name.includes(o))) continue;
  device.pushErrorScope('validation');
  const mod = device.createShaderModule({ code: v.code });
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) { console.log(name, 'ERROR', err.message.slice(0, 400)); continue; }
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [uni, bA, bB, bC].map((b, i) => ({ binding: i, resource: { buffer: b } })) });
  const run = async () => { const e = device.createCommandEncoder(); const p = e.beginComputePass(); p.setPipeline(pipe); p.setBindGroup(0, bg); p.dispatchWorkgroups(...v.groups); p.end(); device.queue.submit([e.finish()]); await device.queue.onSubmittedWorkDone(); };
  await run();
  const times = [];
  for (let i = 0; i < 3; i++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
  times.sort((x, y) => x - y);
  const rb = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const e = device.createCommandEncoder(); e.copyBufferToBuffer(bC, 0, rb, 0, M * N * 4); device.queue.submit([e.finish()]);
  await rb.mapAsync(GPUMapMode.READ); const out = new Float32Array(rb.getMappedRange().slice(0)); rb.unmap();
  let num = 0, den = 0; for (let i = 0; i < out.length; i++) { num += (out[i] - ref[i]) ** 2; den += ref[i] ** 2; }
  const ms = times[1];
  console.log(name.padEnd(28), ms.toFixed(1).padStart(8), 'ms', (2 * M * N * K / ms / 1e6).toFixed(2).padStart(6), 'GFLOP/s', 'relL2', Math.sqrt(num / den).toExponential(1));
  device.queue.writeBuffer(bC, 0, new Float32Array(M * N));
}
device.destroy();
clearInterval(keep);
void gpu;
