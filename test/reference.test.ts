// The float64 CPU reference (test/reference/ops.ts) checked on its own: central finite differences of every
// backward, hand-computed forward cases, PyTorch's max-pool tie rule, OpenCV's INTER_LINEAR resize, and the
// Grad-CAM pipeline against the PyTorch fixtures (test/fixtures; test/fixtures/README.md says where each came from).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  addForward,
  batchnormEvalBackward,
  batchnormEvalForward,
  batchnormTrainBackward,
  batchnormTrainForward,
  camMap,
  camRaw,
  camWeights,
  convBiasBackward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  crossEntropyMean,
  dot,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  linearBackward,
  linearForward,
  maxAbs,
  maxPoolBackward,
  maxPoolForward,
  minMaxNormalize,
  mulberry32,
  overlay,
  randn,
  relL2,
  reluBackward,
  reluForward,
  resizeBilinearOpenCV,
  softmax,
  type Shape4,
} from './reference/ops.ts';
import { bottleneckForward, type BNParams, type BottleneckParams } from './reference/resnet50_ref.ts';

// ---------------------------------------------------------------------------------------------------------------
// finite differences

/** Central-difference gradient of the scalar f at x (x is perturbed in place and restored). */
function fdGrad(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + eps;
    const fp = f(x);
    x[i] = v - eps;
    const fm = f(x);
    x[i] = v;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

const TOL = 1e-6;

function expectGrad(name: string, analytic: Float64Array, fd: Float64Array, tol = TOL): void {
  const e = relL2(analytic, fd);
  expect(e, `${name}: relL2 ${e}`).toBeLessThan(tol);
  expect(Number.isFinite(e)).toBe(true);
}

let seedCounter = 1000;
function rand(n: number, scale = 1): Float64Array {
  const r = randn(n, mulberry32(seedCounter++));
  for (let i = 0; i < n; i++) r[i] = r[i]! * scale;
  return r;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------------------------
// a tiny self-contained safetensors reader (F32, U8, I64 only), for the fixture comparisons

interface Tensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Uint8Array | Float64Array;
}

function loadSafetensors(name: string): Map<string, Tensor> {
  const buf = readFileSync(new URL(`./fixtures/${name}.safetensors`, import.meta.url));
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + n;
  const out = new Map<string, Tensor>();
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const [s, e] = info.data_offsets;
    const raw = bytes.slice(base + s, base + e); // a copy: aligned
    let data: Tensor['data'];
    if (info.dtype === 'F32') data = new Float32Array(raw.buffer, 0, (e - s) / 4);
    else if (info.dtype === 'U8') data = raw;
    else if (info.dtype === 'I64') data = Float64Array.from(new BigInt64Array(raw.buffer, 0, (e - s) / 8), Number);
    else continue;
    expect(data.length).toBe(numel(info.shape));
    out.set(key, { dtype: info.dtype, shape: info.shape, data });
  }
  return out;
}

function get(t: Map<string, Tensor>, key: string): Tensor {
  const v = t.get(key);
  if (!v) throw new Error(`fixture tensor ${key} missing`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------

describe('conv2d', () => {
  const img = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s1: Shape4 = [1, 1, 3, 3];

  test('forward, hand-computed 3x3 cases', () => {
    const ones = new Float64Array(9).fill(1);
    const a = conv2dForward(img, s1, ones, [1, 1, 3, 3], null, { stride: 1, pad: 1 });
    expect(a.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(a.y)).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);

    // cross-correlation, not convolution: only w[0][0] set picks x[i-1][j-1]
    const corner = new Float64Array(9);
    corner[0] = 1;
    const b = conv2dForward(img, s1, corner, [1, 1, 3, 3], null, { stride: 1, pad: 1 });
    expect(Array.from(b.y)).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);

    const c = conv2dForward(img, s1, ones, [1, 1, 3, 3], Float64Array.from([0.5]), { stride: 2, pad: 1 });
    expect(c.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(c.y)).toEqual([12.5, 16.5, 24.5, 28.5]);

    const d = conv2dForward(img, s1, ones, [1, 1, 3, 3], null, { stride: 1, pad: 0 });
    expect(Array.from(d.y)).toEqual([45]);

    // two input channels, two output channels, 1x1: a per-pixel matrix product
    const x2 = Float64Array.from([1, 2, 3, 4, 10, 20, 30, 40]); // [1,2,2,2]
    const w2 = Float64Array.from([1, 1, 2, -1]); // out0 = a + b, out1 = 2a - b
    const e = conv2dForward(x2, [1, 2, 2, 2], w2, [2, 2, 1, 1], null, { stride: 1, pad: 0 });
    expect(Array.from(e.y)).toEqual([11, 22, 33, 44, -8, -16, -24, -32]);
  });

  test('output size follows floor((H + 2p - K) / s) + 1', () => {
    const x = rand(2 * 3 * 7 * 5);
    const w = rand(4 * 3 * 3 * 3);
    expect(conv2dForward(x, [2, 3, 7, 5], w, [4, 3, 3, 3], null, { stride: 2, pad: 0 }).shape).toEqual([2, 4, 3, 2]);
    expect(conv2dForward(x, [2, 3, 7, 5], w, [4, 3, 3, 3], null, { stride: 2, pad: 1 }).shape).toEqual([2, 4, 4, 3]);
    expect(conv2dForward(x, [2, 3, 7, 5], w, [4, 3, 3, 3], null, { stride: 1, pad: 1 }).shape).toEqual([2, 4, 7, 5]);
  });

  const cases: { k: number; stride: number; pad: number }[] = [
    { k: 3, stride: 1, pad: 1 },
    { k: 3, stride: 2, pad: 1 },
    { k: 3, stride: 2, pad: 0 },
    { k: 3, stride: 1, pad: 0 },
    { k: 1, stride: 1, pad: 0 },
    { k: 1, stride: 2, pad: 0 },
    { k: 7, stride: 2, pad: 3 },
    { k: 7, stride: 1, pad: 1 },
  ];
  for (const { k, stride, pad } of cases) {
    test(`finite differences: k=${k} stride=${stride} pad=${pad}, x [2,3,7,5], w [4,3,${k},${k}]`, () => {
      const xShape: Shape4 = [2, 3, 7, 5];
      const wShape: Shape4 = [4, 3, k, k];
      const x = rand(numel(xShape));
      const w = rand(numel(wShape), 0.3);
      const bias = rand(4);
      const p = { stride, pad };
      const fwd = conv2dForward(x, xShape, w, wShape, bias, p);
      const r = rand(fwd.y.length);
      const dx = conv2dBackwardInput(r, fwd.shape, w, wShape, xShape, p);
      const dw = conv2dBackwardWeight(r, fwd.shape, x, xShape, wShape, p);
      const db = convBiasBackward(r, fwd.shape);
      expectGrad('dx', dx, fdGrad((xx) => dot(conv2dForward(xx, xShape, w, wShape, bias, p).y, r), x));
      expectGrad('dw', dw, fdGrad((ww) => dot(conv2dForward(x, xShape, ww, wShape, bias, p).y, r), w));
      expectGrad('db', db, fdGrad((bb) => dot(conv2dForward(x, xShape, w, wShape, bb, p).y, r), bias));
    });
  }
});

describe('batchnorm', () => {
  const shape: Shape4 = [2, 3, 4, 5];
  const C = 3;

  test('eval forward, hand-computed', () => {
    const x = Float64Array.from([1, 2, 3, 4]); // [1,1,2,2]
    const y = batchnormEvalForward(x, [1, 1, 2, 2], [2], [1], [2], [3], 1);
    // (x - 2) / sqrt(4) * 2 + 1 = x - 1
    expect(Array.from(y)).toEqual([0, 1, 2, 3]);
  });

  test('eval backward: finite differences of dx, dgamma, dbeta', () => {
    const x = rand(numel(shape), 2);
    const gamma = rand(C);
    const beta = rand(C);
    const mean = rand(C);
    const variance = rand(C).map((v) => 0.5 + v * v);
    const r = rand(numel(shape));
    const eps = 1e-5;
    const { dx, dgamma, dbeta } = batchnormEvalBackward(r, x, shape, gamma, mean, variance, eps);
    const L = (xx: Float64Array, g: Float64Array, b: Float64Array) =>
      dot(batchnormEvalForward(xx, shape, g, b, mean, variance, eps), r);
    expectGrad('dx', dx, fdGrad((xx) => L(xx, gamma, beta), x));
    expectGrad('dgamma', dgamma, fdGrad((g) => L(x, g, beta), gamma));
    expectGrad('dbeta', dbeta, fdGrad((b) => L(x, gamma, b), beta));
  });

  test('train forward: batch statistics and running-statistics update', () => {
    const x = rand(numel(shape), 3);
    const gamma = rand(C);
    const beta = rand(C);
    const rm = rand(C);
    const rv = rand(C).map((v) => 1 + v * v);
    const out = batchnormTrainForward(x, shape, gamma, beta, rm, rv, 1e-5, 0.1);
    const M = 2 * 4 * 5;
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 2; n++) for (let i = 0; i < 20; i++) vals.push(x[(n * C + c) * 20 + i]!);
      const m = vals.reduce((a, b) => a + b, 0) / M;
      const vb = vals.reduce((a, b) => a + (b - m) ** 2, 0) / M;
      expect(out.batchMean[c]).toBeCloseTo(m, 12);
      expect(out.batchVarBiased[c]).toBeCloseTo(vb, 12);
      expect(out.newRunningMean[c]).toBeCloseTo(0.9 * rm[c]! + 0.1 * m, 12);
      expect(out.newRunningVar[c]).toBeCloseTo(0.9 * rv[c]! + 0.1 * ((vb * M) / (M - 1)), 12);
      // normalised output per channel: mean beta, biased variance gamma^2 * vb / (vb + eps)
      const ys: number[] = [];
      for (let n = 0; n < 2; n++) for (let i = 0; i < 20; i++) ys.push(out.y[(n * C + c) * 20 + i]!);
      const ym = ys.reduce((a, b) => a + b, 0) / M;
      const yv = ys.reduce((a, b) => a + (b - ym) ** 2, 0) / M;
      expect(ym).toBeCloseTo(beta[c]!, 12);
      expect(yv).toBeCloseTo((gamma[c]! ** 2 * vb) / (vb + 1e-5), 10);
    }
  });

  test('train backward: finite differences of dx, dgamma, dbeta (batch statistics depend on x)', () => {
    const x = rand(numel(shape), 2);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + 0.5; // nonzero mean
    const gamma = rand(C);
    const beta = rand(C);
    const rm = new Float64Array(C);
    const rv = new Float64Array(C).fill(1);
    const r = rand(numel(shape));
    const eps = 1e-5;
    const { dx, dgamma, dbeta } = batchnormTrainBackward(r, x, shape, gamma, eps);
    const L = (xx: Float64Array, g: Float64Array, b: Float64Array) =>
      dot(batchnormTrainForward(xx, shape, g, b, rm, rv, eps).y, r);
    expectGrad('dx', dx, fdGrad((xx) => L(xx, gamma, beta), x));
    expectGrad('dgamma', dgamma, fdGrad((g) => L(x, g, beta), gamma));
    expectGrad('dbeta', dbeta, fdGrad((b) => L(x, gamma, b), beta));
    // the dx of train mode sums to zero per channel (the mean is subtracted)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < 2; n++) for (let i = 0; i < 20; i++) s += dx[(n * C + c) * 20 + i]!;
      expect(Math.abs(s)).toBeLessThan(1e-12);
    }
  });
});

describe('relu and add', () => {
  test('relu forward/backward, gradient 0 at x == 0', () => {
    const x = Float64Array.from([-1, 0, 2, -0, 3]);
    expect(Array.from(reluForward(x))).toEqual([0, 0, 2, 0, 3]);
    expect(Array.from(reluBackward([1, 1, 1, 1, 1], x))).toEqual([0, 0, 1, 0, 1]);
  });

  test('relu finite differences (away from 0)', () => {
    const x = rand(2 * 3 * 7 * 5);
    for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) < 1e-2) x[i] = 0.5;
    const r = rand(x.length);
    expectGrad('dx', reluBackward(r, x), fdGrad((xx) => dot(reluForward(xx), r), x));
  });

  test('add: forward and identity backward into both operands', () => {
    const a = rand(30);
    const b = rand(30);
    const r = rand(30);
    const y = addForward(a, b);
    for (let i = 0; i < 30; i++) expect(y[i]).toBe(a[i]! + b[i]!);
    expectGrad('da', r, fdGrad((aa) => dot(addForward(aa, b), r), a));
    expectGrad('db', r, fdGrad((bb) => dot(addForward(a, bb), r), b));
  });
});

describe('max pool 3x3 stride 2 pad 1', () => {
  test('finite differences without ties', () => {
    const shape: Shape4 = [2, 3, 7, 5];
    const n = numel(shape);
    // distinct values at least 0.01 apart: a shuffled ramp
    const rng = mulberry32(7);
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const x = Float64Array.from(perm, (v) => (v - n / 2) * 0.01);
    const fwd = maxPoolForward(x, shape);
    expect(fwd.shape).toEqual([2, 3, 4, 3]);
    const r = rand(fwd.y.length);
    const dx = maxPoolBackward(r, fwd.argmax, shape);
    expectGrad('dx', dx, fdGrad((xx) => dot(maxPoolForward(xx, shape).y, r), x));
  });

  test('forward, hand-computed; padding is -inf, not 0', () => {
    const x = Float64Array.from({ length: 16 }, (_, i) => -100 + i); // [1,1,4,4], all negative
    const fwd = maxPoolForward(x, [1, 1, 4, 4], { k: 3, stride: 2, pad: 1 });
    expect(fwd.shape).toEqual([1, 1, 2, 2]);
    // windows: rows {0,1} x cols {0,1} -> 5; rows {0,1} x cols {1,2,3} -> 7; rows {1,2,3} x cols {0,1} -> 13; -> 15
    expect(Array.from(fwd.y)).toEqual([-95, -93, -87, -85]);
    expect(Array.from(fwd.argmax)).toEqual([5, 7, 13, 15]);
  });

  test('tie rule: a constant input routes each window gradient to its first element', () => {
    const shape: Shape4 = [1, 2, 5, 5];
    const x = new Float64Array(50).fill(3);
    const fwd = maxPoolForward(x, shape);
    expect(fwd.shape).toEqual([1, 2, 3, 3]);
    expect(Array.from(fwd.y)).toEqual(new Array(18).fill(3));
    // window starts (clamped): rows {0, 1, 3}, cols {0, 1, 3}
    const firsts = [0, 1, 3].flatMap((r) => [0, 1, 3].map((c) => r * 5 + c));
    expect(Array.from(fwd.argmax.subarray(0, 9))).toEqual(firsts);
    expect(Array.from(fwd.argmax.subarray(9))).toEqual(firsts.map((i) => 25 + i));
    const dx = maxPoolBackward(new Float64Array(18).fill(1), fwd.argmax, shape);
    const expected = new Float64Array(50);
    for (const i of firsts) {
      expected[i] = 1;
      expected[25 + i] = 1;
    }
    expect(Array.from(dx)).toEqual(Array.from(expected));

    // a tie between two maxima that are not first in the window: the first in row-major order wins
    const t = Float64Array.from([0, 0, 0, 0, 5, 5, 0, 5, 0]); // [1,1,3,3], one window with k=3 pad=0
    const ft = maxPoolForward(t, [1, 1, 3, 3], { k: 3, stride: 1, pad: 0 });
    expect(Array.from(ft.argmax)).toEqual([4]);
  });

  test('NaN propagates and takes the index', () => {
    const t = Float64Array.from([1, Number.NaN, 9, 2]);
    const f = maxPoolForward(t, [1, 1, 2, 2], { k: 2, stride: 2, pad: 0 });
    expect(Number.isNaN(f.y[0]!)).toBe(true);
    expect(f.argmax[0]).toBe(1);
  });

  test('overlapping windows accumulate in backward', () => {
    // the centre max of a 3x3 input is in all four windows of k=2 stride=1
    const t = Float64Array.from([0, 0, 0, 0, 9, 0, 0, 0, 0]);
    const f = maxPoolForward(t, [1, 1, 3, 3], { k: 2, stride: 1, pad: 0 });
    expect(Array.from(f.argmax)).toEqual([4, 4, 4, 4]);
    const dx = maxPoolBackward([1, 2, 3, 4], f.argmax, [1, 1, 3, 3]);
    expect(dx[4]).toBe(10);
  });
});

describe('global average pool, linear, softmax cross-entropy', () => {
  test('global average pool: forward and finite differences', () => {
    const shape: Shape4 = [2, 3, 7, 5];
    const x = rand(numel(shape));
    const y = globalAvgPoolForward(x, shape);
    let s = 0;
    for (let i = 0; i < 35; i++) s += x[35 + i]!;
    expect(y[1]).toBeCloseTo(s / 35, 14);
    const r = rand(6);
    expectGrad('dx', globalAvgPoolBackward(r, shape), fdGrad((xx) => dot(globalAvgPoolForward(xx, shape), r), x));
  });

  test('linear: forward hand-computed and finite differences of dx, dw, db', () => {
    // x [1,2] = [1,2]; w [3,2]; y = x w^T + b
    expect(Array.from(linearForward([1, 2], [1, 0, 0, 1, 1, 1], [0.5, 0, -1], 1, 2, 3))).toEqual([1.5, 2, 2]);
    const N = 3;
    const K = 5;
    const M = 4;
    const x = rand(N * K);
    const w = rand(M * K);
    const b = rand(M);
    const r = rand(N * M);
    const { dx, dw, db } = linearBackward(r, x, w, N, K, M);
    expectGrad('dx', dx, fdGrad((xx) => dot(linearForward(xx, w, b, N, K, M), r), x));
    expectGrad('dw', dw, fdGrad((ww) => dot(linearForward(x, ww, b, N, K, M), r), w));
    expectGrad('db', db, fdGrad((bb) => dot(linearForward(x, w, bb, N, K, M), r), b));
  });

  test('softmax: rows sum to 1, stable for large logits', () => {
    const p = softmax([0, Math.log(3), 1000, 1000 + Math.log(3)], 2, 2);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(p[2]).toBeCloseTo(0.25, 12); // 1000 + log(3) itself is rounded at ~1e-13
    expect(p[3]).toBeCloseTo(0.75, 12);
    const q = softmax(rand(3 * 7, 5), 3, 7);
    for (let n = 0; n < 3; n++) {
      let s = 0;
      for (let k = 0; k < 7; k++) s += q[n * 7 + k]!;
      expect(s).toBeCloseTo(1, 14);
    }
  });

  test('cross-entropy mean: hand-computed and finite differences', () => {
    // uniform logits: loss = log K
    expect(crossEntropyMean([0, 0, 0, 0], [2], 1, 4).loss).toBeCloseTo(Math.log(4), 15);
    const N = 3;
    const K = 5;
    const logits = rand(N * K, 2);
    const labels = [1, 4, 0];
    const { dlogits } = crossEntropyMean(logits, labels, N, K);
    expectGrad('dlogits', dlogits, fdGrad((l) => crossEntropyMean(l, labels, N, K).loss, logits));
  });
});

describe('bottleneck block', () => {
  function bnParams(C: number, seed: number): BNParams {
    const rng = mulberry32(seed);
    const g = randn(C, rng);
    return {
      gamma: g.map((v) => 1 + 0.1 * v),
      beta: randn(C, rng).map((v) => 0.1 * v),
      runningMean: randn(C, rng).map((v) => 0.1 * v),
      runningVar: randn(C, rng).map((v) => 1 + 0.1 * v * v),
    };
  }

  function params(inC: number, planes: number, down: boolean): BottleneckParams {
    const outC = planes * 4;
    return {
      conv1: rand(planes * inC, 0.5),
      bn1: bnParams(planes, 1),
      conv2: rand(planes * planes * 9, 0.3),
      bn2: bnParams(planes, 2),
      conv3: rand(outC * planes, 0.5),
      bn3: bnParams(outC, 3),
      downsample: down ? { conv: rand(outC * inC, 0.5), bn: bnParams(outC, 4) } : null,
    };
  }

  test('shapes; zero bn3 gives relu(identity)', () => {
    const xShape: Shape4 = [2, 16, 7, 5];
    const x = rand(numel(xShape));
    const p = params(16, 4, false);
    const a = bottleneckForward(x, xShape, p, { planes: 4, stride: 1 });
    expect(a.shape).toEqual([2, 16, 7, 5]);
    const zero: BNParams = { ...p.bn3, gamma: new Float64Array(16), beta: new Float64Array(16) };
    const z = bottleneckForward(x, xShape, { ...p, bn3: zero }, { planes: 4, stride: 1 });
    expect(Array.from(z.y)).toEqual(Array.from(reluForward(x)));

    const pd = params(8, 4, true);
    const xs: Shape4 = [2, 8, 7, 5];
    const d = bottleneckForward(rand(numel(xs)), xs, pd, { planes: 4, stride: 2 });
    expect(d.shape).toEqual([2, 16, 4, 3]);
    const t = bottleneckForward(rand(numel(xs)), xs, pd, { planes: 4, stride: 2, bnMode: 'train' });
    expect(t.shape).toEqual([2, 16, 4, 3]);
    expect(() => bottleneckForward(rand(numel(xs)), xs, { ...pd, downsample: null }, { planes: 4, stride: 2 })).toThrow();
  });

  test('chained backward of a stride-2 block with downsample (eval bn) matches finite differences', () => {
    const xShape: Shape4 = [2, 8, 7, 5];
    const planes = 4;
    const outC = 16;
    const p = params(8, planes, true);
    const x = rand(numel(xShape));
    const eps = 1e-5;
    const s = 2;
    const fwd = bottleneckForward(x, xShape, p, { planes, stride: s });
    const r = rand(fwd.y.length);

    // recompute the pre-activations, then chain the reference backwards
    const bnE = (v: Float64Array, sh: Shape4, q: BNParams) =>
      batchnormEvalForward(v, sh, q.gamma, q.beta, q.runningMean, q.runningVar, eps);
    const bnB = (dy: Float64Array, v: Float64Array, sh: Shape4, q: BNParams) =>
      batchnormEvalBackward(dy, v, sh, q.gamma, q.runningMean, q.runningVar, eps).dx;
    const w1: Shape4 = [planes, 8, 1, 1];
    const w2: Shape4 = [planes, planes, 3, 3];
    const w3: Shape4 = [outC, planes, 1, 1];
    const wd: Shape4 = [outC, 8, 1, 1];
    const c1 = conv2dForward(x, xShape, p.conv1, w1, null, { stride: 1, pad: 0 });
    const b1 = bnE(c1.y, c1.shape, p.bn1);
    const a1 = reluForward(b1);
    const c2 = conv2dForward(a1, c1.shape, p.conv2, w2, null, { stride: s, pad: 1 });
    const b2 = bnE(c2.y, c2.shape, p.bn2);
    const a2 = reluForward(b2);
    const c3 = conv2dForward(a2, c2.shape, p.conv3, w3, null, { stride: 1, pad: 0 });
    const b3 = bnE(c3.y, c3.shape, p.bn3);
    const cd = conv2dForward(x, xShape, p.downsample!.conv, wd, null, { stride: s, pad: 0 });
    const bd = bnE(cd.y, cd.shape, p.downsample!.bn);
    const sum = addForward(b3, bd);
    expect(maxAbs(reluForward(sum), fwd.y)).toBe(0);

    const dsum = reluBackward(r, sum);
    const dc3 = bnB(dsum, c3.y, c3.shape, p.bn3);
    const da2 = conv2dBackwardInput(dc3, c3.shape, p.conv3, w3, c2.shape, { stride: 1, pad: 0 });
    const dc2 = bnB(reluBackward(da2, b2), c2.y, c2.shape, p.bn2);
    const da1 = conv2dBackwardInput(dc2, c2.shape, p.conv2, w2, c1.shape, { stride: s, pad: 1 });
    const dc1 = bnB(reluBackward(da1, b1), c1.y, c1.shape, p.bn1);
    const dxMain = conv2dBackwardInput(dc1, c1.shape, p.conv1, w1, xShape, { stride: 1, pad: 0 });
    const dcd = bnB(dsum, cd.y, cd.shape, p.downsample!.bn);
    const dxDown = conv2dBackwardInput(dcd, cd.shape, p.downsample!.conv, wd, xShape, { stride: s, pad: 0 });
    const dx = addForward(dxMain, dxDown);
    const dw2 = conv2dBackwardWeight(dc2, c2.shape, a1, c1.shape, w2, { stride: s, pad: 1 });

    expectGrad('dx', dx, fdGrad((xx) => dot(bottleneckForward(xx, xShape, p, { planes, stride: s }).y, r), x), 1e-5);
    const conv2 = Float64Array.from(p.conv2);
    expectGrad(
      'dconv2',
      dw2,
      fdGrad((ww) => dot(bottleneckForward(x, xShape, { ...p, conv2: ww }, { planes, stride: s }).y, r), conv2),
      1e-5,
    );
  });
});

describe('Grad-CAM pieces', () => {
  test('OpenCV INTER_LINEAR resize, hand-computed', () => {
    const up = resizeBilinearOpenCV([0, 1, 2, 3], 2, 2, 4, 4);
    expect(Array.from(up.subarray(0, 4))).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(up.subarray(4, 8))).toEqual([0.5, 0.75, 1.25, 1.5]);
    expect(Array.from(up.subarray(8, 12))).toEqual([1.5, 1.75, 2.25, 2.5]);
    expect(Array.from(up.subarray(12, 16))).toEqual([2, 2.25, 2.75, 3]);
    // identity size
    expect(Array.from(resizeBilinearOpenCV([1, 2, 3, 4, 5, 6], 2, 3, 2, 3))).toEqual([1, 2, 3, 4, 5, 6]);
    // downscale by 2: sample at source 0.5 -> average of the pair
    expect(Array.from(resizeBilinearOpenCV([0, 2, 4, 6], 1, 4, 1, 2))).toEqual([1, 5]);
    // non-integer ratio 3 -> 7: sx = (x + 0.5) * 3/7 - 0.5
    const row = resizeBilinearOpenCV([0, 10, 20], 1, 3, 1, 7);
    for (let x = 0; x < 7; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (3 / 7) - 0.5, 0), 2);
      expect(row[x]).toBeCloseTo(10 * sx, 12);
    }
  });

  test('weights, raw, normalisation, map: hand-computed', () => {
    // [1,2,1,2]: act channel 0 = [1, 2], channel 1 = [3, -4]; grad channel 0 = [1, 3] (mean 2), channel 1 = [-1, 0]
    const w = camWeights([1, 3, -1, 0], [1, 2, 1, 2]);
    expect(Array.from(w)).toEqual([2, -0.5]);
    expect(Array.from(camRaw([1, 2, 3, -4], [1, 2, 1, 2], w))).toEqual([0.5, 6]);
    expect(camRaw([1, 2, 3, -4], [1, 2, 1, 2], [-1, 0])[0]).toBe(0); // ReLU
    const m = minMaxNormalize([1, 3, 5]);
    expect(m[0]).toBe(0);
    expect(m[1]).toBeCloseTo(2 / (4 + 1e-7), 15);
    expect(m[2]).toBeCloseTo(4 / (4 + 1e-7), 15);
    const map = camMap([0, 1, 2, 3], 2, 2, 4, 4);
    expect(map.length).toBe(16);
    expect(Math.min(...map)).toBe(0);
    expect(Math.max(...map)).toBeCloseTo(1, 6);
    expect(map[1]! / map[15]!).toBeCloseTo(0.25 / 3, 6);
  });

  test('overlay: hand-computed', () => {
    const lut = new Uint8Array(768);
    for (let i = 0; i < 256; i++) lut.set([i, 255 - i, 0], i * 3);
    // two pixels: map 1 -> lut 255 = (255, 0, 0); map 0.5 -> uint8(127.5) = 127 -> (127, 128, 0)
    const img = Uint8Array.from([255, 255, 255, 0, 0, 0]);
    const o = overlay([1, 0.5], img, lut);
    // cam = 0.5 * heat + 0.5 * img: px0 (1, 0.5, 0.5), px1 (127/510, 128/510, 0); max 1
    expect(Array.from(o)).toEqual([255, 127, 127, Math.trunc((255 * 127) / 510), Math.trunc((255 * 128) / 510), 0]);
  });
});

describe('Grad-CAM reference against the PyTorch fixtures', () => {
  function checkCam(file: string): Map<string, Tensor> {
    const t = loadSafetensors(file);
    const act = get(t, 'cam.layer4.act');
    const grad = get(t, 'cam.layer4.grad');
    const [N, C, h, w] = act.shape as [number, number, number, number];
    const shape: Shape4 = [N, C, h, w];
    const mapRef = get(t, 'cam.layer4.map');
    const [, H, W] = mapRef.shape as [number, number, number];

    const weights = camWeights(grad.data, shape);
    const eW = relL2(weights, get(t, 'cam.layer4.weights').data);
    expect(eW, `weights relL2 ${eW}`).toBeLessThan(1e-5);
    const raw = camRaw(act.data, shape, weights);
    const eR = relL2(raw, get(t, 'cam.layer4.raw').data);
    expect(eR, `raw relL2 ${eR}`).toBeLessThan(1e-5);
    const map = camMap(raw, h, w, H, W);
    const eM = maxAbs(map, mapRef.data);
    expect(eM, `map maxAbs ${eM}`).toBeLessThan(2e-3);
    // from the fixture's own raw (no float32 differences upstream) the OpenCV resize matches to float32 rounding
    // (measured ~2e-7): a tighter bound, which a wrong resize convention could not meet
    const eM2 = maxAbs(camMap(get(t, 'cam.layer4.raw').data, h, w, H, W), mapRef.data);
    expect(eM2, `map (fixture raw) maxAbs ${eM2}`).toBeLessThan(1e-5);
    return t;
  }

  test('eval-chelsea: layer4 weights, raw, map, overlay', () => {
    const t = checkCam('eval-chelsea');
    const map = get(t, 'cam.layer4.map');
    const image = get(t, 'image');
    const ref = get(t, 'cam.layer4.overlay').data;
    const jet = get(loadSafetensors('colormaps'), 'jet');
    expect(jet.shape).toEqual([256, 3]);
    const o = overlay(map.data, image.data, jet.data);
    expect(o.length).toBe(ref.length);
    let bad = 0;
    let worst = 0;
    for (let i = 0; i < o.length; i++) {
      const d = Math.abs(o[i]! - ref[i]!);
      if (d > 1) bad++;
      worst = Math.max(worst, d);
    }
    expect(bad / o.length, `${bad} bytes differ by more than 1 (worst ${worst})`).toBeLessThan(0.005);
  });

  test('eval-odd-batch2: layer4 weights, raw, map [2,129,97] from [2,2048,5,4]', () => {
    const t = checkCam('eval-odd-batch2');
    expect(get(t, 'cam.layer4.act').shape).toEqual([2, 2048, 5, 4]);
    expect(get(t, 'cam.layer4.map').shape).toEqual([2, 129, 97]);
  });
});
