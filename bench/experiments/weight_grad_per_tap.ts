// A weight gradient without im2col, measured and not landed (bench/NOTES.md): one GEMM per tap,
// dW[:, :, ky, kx] = dy . (x shifted by the tap)^T, each thread 8 output x 8 input channels of one tap over a
// slice of output rows (SPLITS slices, default 4; the partial sums' reduction not timed), against
// conv2dBackwardWeight (im2col and the split-K GEMM) on the context's tuned tiles; checks that they agree.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/weight_grad_per_tap.ts
import { conv2dBackwardWeight } from '../../src/kernels/conv/conv2d_backward_weight.ts';
import { convPrelude, convUniform } from '../../src/kernels/conv/geometry.ts';
import { autotuneGemm } from '../../src/kernels/gemm/tuner.ts';
import { constants, groups1d, shader } from '../../src/kernels/wgsl.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const KERNEL = `
@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = flatWorkgroupId(wg, groups) * 64u + lid.x;
  let ciBlocks = p.inChannels / 8u;
  let coBlocks = p.outChannels / 8u;
  let perSplit = ciBlocks * coBlocks * KH * KW;
  if (t >= perSplit * SPLITS) { return; }
  let ci0 = 8u * (t % ciBlocks);
  let co0 = 8u * ((t / ciBlocks) % coBlocks);
  let tap = (t / (ciBlocks * coBlocks)) % (KH * KW);
  let split = t / perSplit;
  let ky = tap / KW; let kx = tap % KW;
  let rows = (OUT_H + SPLITS - 1u) / SPLITS;
  let oy0 = split * rows;
  let oy1 = min(OUT_H, oy0 + rows);
  let outArea = OUT_H * OUT_W;
  let inArea = IN_H * IN_W;
  var s0 = vec4f(); var s1 = vec4f(); var s2 = vec4f(); var s3 = vec4f(); var s4 = vec4f(); var s5 = vec4f(); var s6 = vec4f(); var s7 = vec4f();
  var u0 = vec4f(); var u1 = vec4f(); var u2 = vec4f(); var u3 = vec4f(); var u4 = vec4f(); var u5 = vec4f(); var u6 = vec4f(); var u7 = vec4f();
  for (var oy = oy0; oy < oy1; oy++) {
    let iy = i32(oy * STRIDE + ky) - i32(PAD);
    let rowOk = iy >= 0 && iy < i32(IN_H);
    let iyc = u32(clamp(iy, 0, i32(IN_H) - 1));
    for (var ox = 0u; ox < OUT_W; ox++) {
      let ix = i32(ox * STRIDE + kx) - i32(PAD);
      let m = select(0.0, 1.0, rowOk && ix >= 0 && ix < i32(IN_W));
      let xi = ci0 * inArea + iyc * IN_W + u32(clamp(ix, 0, i32(IN_W) - 1));
      let a = vec4f(x[xi], x[xi + inArea], x[xi + 2u * inArea], x[xi + 3u * inArea]) * m;
      let b = vec4f(x[xi + 4u * inArea], x[xi + 5u * inArea], x[xi + 6u * inArea], x[xi + 7u * inArea]) * m;
      let di = co0 * outArea + oy * OUT_W + ox;
      let d0 = dy[di]; let d1 = dy[di + outArea]; let d2 = dy[di + 2u * outArea]; let d3 = dy[di + 3u * outArea];
      let d4 = dy[di + 4u * outArea]; let d5 = dy[di + 5u * outArea]; let d6 = dy[di + 6u * outArea]; let d7 = dy[di + 7u * outArea];
      s0 = fma(vec4f(d0), a, s0); u0 = fma(vec4f(d0), b, u0);
      s1 = fma(vec4f(d1), a, s1); u1 = fma(vec4f(d1), b, u1);
      s2 = fma(vec4f(d2), a, s2); u2 = fma(vec4f(d2), b, u2);
      s3 = fma(vec4f(d3), a, s3); u3 = fma(vec4f(d3), b, u3);
      s4 = fma(vec4f(d4), a, s4); u4 = fma(vec4f(d4), b, u4);
      s5 = fma(vec4f(d5), a, s5); u5 = fma(vec4f(d5), b, u5);
      s6 = fma(vec4f(d6), a, s6); u6 = fma(vec4f(d6), b, u6);
      s7 = fma(vec4f(d7), a, s7); u7 = fma(vec4f(d7), b, u7);
    }
  }
  let wSize = p.outChannels * p.inChannels * KH * KW;
  let base = split * wSize + (co0 * p.inChannels + ci0) * KH * KW + tap;
  let cs = p.inChannels * KH * KW; let ks = KH * KW;
  var ss = array<vec4f, 8>(s0, s1, s2, s3, s4, s5, s6, s7);
  var uu = array<vec4f, 8>(u0, u1, u2, u3, u4, u5, u6, u7);
  for (var i = 0u; i < 8u; i++) {
    for (var j = 0u; j < 4u; j++) {
      partial[base + i * cs + j * ks] = ss[i][j];
      partial[base + i * cs + (j + 4u) * ks] = uu[i][j];
    }
  }
}`;

const ctx = await createNodeGpuContext();
console.log(ctx.adapter.description);
await autotuneGemm(ctx);
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
for (const [inC, outC, k, stride, size] of [[64, 64, 3, 1, 56], [128, 128, 3, 1, 28], [128, 128, 3, 2, 56]] as const) {
  const pad = k >> 1; const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const g = { inH: size, inW: size, outH: out, outW: out, kH: k, kW: k, stride, pad };
  const x = ctx.upload(rand(inC * size * size), [1, inC, size, size]);
  const dy = ctx.upload(rand(outC * out * out), [1, outC, out, out]);
  const splits = Number(process.env.SPLITS ?? 4);
  const code = shader(convPrelude(g, 1), constants({ SPLITS: splits }), KERNEL);
  const direct = () => {
    const part = ctx.empty([splits, outC, inC, k, k], 'f32', 'partial');
    const threads = (inC / 8) * (outC / 8) * k * k * splits;
    ctx.dispatch(ctx.pipeline(code, 'dw_direct'), [ctx.uniform(convUniform(1, inC, outC, g)), dy, x, part], groups1d(threads, 64), 'dw direct');
    return part;
  };
  const want = await conv2dBackwardWeight(ctx, dy, x, [outC, inC, k, k], { stride, pad }).read();
  const got = await direct().read();
  const n = outC * inC * k * k;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { let v = 0; for (let s = 0; s < splits; s++) v += got[s * n + i]!; num += (v - want[i]!) ** 2; den += want[i]! ** 2; }
  const forms: [string, () => { release(): void }][] = [['im2col + GEMM', () => conv2dBackwardWeight(ctx, dy, x, [outC, inC, k, k], { stride, pad })], ['per-tap direct (no reduce)', direct]];
  const times: number[][] = [[], []];
  for (let r = 0; r < 9; r++) for (let i = 0; i < 2; i++) {
    const j = (i + r) % 2;
    ctx.setProfiling(true); forms[j]![1]().release();
    const t = await ctx.collectTimings(); ctx.setProfiling(false);
    if (r) times[j]!.push(t.reduce((s, x) => s + x.ms, 0));
  }
  console.log(`${k}x${k}/${stride} ${inC}->${outC} ${size} (rel L2 ${Math.sqrt(num / den).toExponential(1)}): ` + forms.map(([name], i) => `${name} ${[...times[i]!].sort((a, b) => a - b)[4]!.toFixed(1)}`).join(', '));
}
process.exit(0);
