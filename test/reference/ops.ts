// Independent float64 CPU reference of every op of torchvision's ResNet50 (forward and backward) and of the
// Grad-CAM pipeline as test/fixtures/README.md defines it (pytorch-grad-cam's GradCAM + show_cam_on_image).
//
// This is ground truth for the GPU kernel tests: clear, simple loops over NCHW tensors, no cleverness, no speed.
// Inputs are any ArrayLike<number> (Float64Array, Float32Array from a fixture, plain arrays); outputs are
// Float64Array (Uint8Array for the overlay). Shapes are passed explicitly.

export type Shape4 = readonly [number, number, number, number];
export type Data = ArrayLike<number>;

export interface ConvParams {
  stride: number;
  pad: number;
}

export interface PoolParams {
  k: number;
  stride: number;
  pad: number;
}

/** floor((H + 2p - K) / s) + 1, as PyTorch (no dilation, no ceil_mode). */
export function convOutSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

function checkLen(name: string, data: Data, n: number): void {
  if (data.length !== n) throw new Error(`${name}: expected ${n} elements, got ${data.length}`);
}

function prod(shape: readonly number[]): number {
  let p = 1;
  for (const s of shape) p *= s;
  return p;
}

// ---------------------------------------------------------------------------------------------------------------
// conv2d (groups = 1, dilation = 1, symmetric zero padding; a cross-correlation, as PyTorch)

export function conv2dForward(
  x: Data,
  xShape: Shape4,
  w: Data,
  wShape: Shape4,
  bias: Data | null,
  { stride, pad }: ConvParams,
): { y: Float64Array; shape: Shape4 } {
  const [N, C, H, W] = xShape;
  const [CO, CI, KH, KW] = wShape;
  if (CI !== C) throw new Error(`conv2dForward: input has ${C} channels, weight expects ${CI}`);
  checkLen('conv2dForward x', x, N * C * H * W);
  checkLen('conv2dForward w', w, CO * CI * KH * KW);
  if (bias) checkLen('conv2dForward bias', bias, CO);
  const OH = convOutSize(H, KH, stride, pad);
  const OW = convOutSize(W, KW, stride, pad);
  const y = new Float64Array(N * CO * OH * OW);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < CO; co++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = bias ? bias[co]! : 0;
          for (let ci = 0; ci < CI; ci++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * stride - pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= W) continue;
                acc += x[((n * C + ci) * H + iy) * W + ix]! * w[((co * CI + ci) * KH + ky) * KW + kx]!;
              }
            }
          y[((n * CO + co) * OH + oy) * OW + ox] = acc;
        }
  return { y, shape: [N, CO, OH, OW] };
}

/** d(loss)/dx of conv2d, given dy = d(loss)/dy. */
export function conv2dBackwardInput(
  dy: Data,
  dyShape: Shape4,
  w: Data,
  wShape: Shape4,
  xShape: Shape4,
  { stride, pad }: ConvParams,
): Float64Array {
  const [N, C, H, W] = xShape;
  const [CO, CI, KH, KW] = wShape;
  const [DN, DC, OH, OW] = dyShape;
  if (DN !== N || DC !== CO || CI !== C) throw new Error('conv2dBackwardInput: shape mismatch');
  if (OH !== convOutSize(H, KH, stride, pad) || OW !== convOutSize(W, KW, stride, pad))
    throw new Error('conv2dBackwardInput: dy spatial size does not match the forward');
  checkLen('conv2dBackwardInput dy', dy, N * CO * OH * OW);
  checkLen('conv2dBackwardInput w', w, CO * CI * KH * KW);
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let co = 0; co < CO; co++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          const g = dy[((n * CO + co) * OH + oy) * OW + ox]!;
          for (let ci = 0; ci < CI; ci++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * stride - pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= W) continue;
                const xi = ((n * C + ci) * H + iy) * W + ix;
                dx[xi] = dx[xi]! + g * w[((co * CI + ci) * KH + ky) * KW + kx]!;
              }
            }
        }
  return dx;
}

/** d(loss)/dw of conv2d, given dy = d(loss)/dy. (The bias gradient is the sum of dy over N, H, W: see convBiasBackward.) */
export function conv2dBackwardWeight(
  dy: Data,
  dyShape: Shape4,
  x: Data,
  xShape: Shape4,
  wShape: Shape4,
  { stride, pad }: ConvParams,
): Float64Array {
  const [N, C, H, W] = xShape;
  const [CO, CI, KH, KW] = wShape;
  const [DN, DC, OH, OW] = dyShape;
  if (DN !== N || DC !== CO || CI !== C) throw new Error('conv2dBackwardWeight: shape mismatch');
  if (OH !== convOutSize(H, KH, stride, pad) || OW !== convOutSize(W, KW, stride, pad))
    throw new Error('conv2dBackwardWeight: dy spatial size does not match the forward');
  checkLen('conv2dBackwardWeight dy', dy, N * CO * OH * OW);
  checkLen('conv2dBackwardWeight x', x, N * C * H * W);
  const dw = new Float64Array(CO * CI * KH * KW);
  for (let co = 0; co < CO; co++)
    for (let ci = 0; ci < CI; ci++)
      for (let ky = 0; ky < KH; ky++)
        for (let kx = 0; kx < KW; kx++) {
          let acc = 0;
          for (let n = 0; n < N; n++)
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * stride - pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= W) continue;
                acc += dy[((n * CO + co) * OH + oy) * OW + ox]! * x[((n * C + ci) * H + iy) * W + ix]!;
              }
            }
          dw[((co * CI + ci) * KH + ky) * KW + kx] = acc;
        }
  return dw;
}

/** Gradient of a per-channel bias (conv bias, batchnorm beta): sum of dy over N, H, W. */
export function convBiasBackward(dy: Data, dyShape: Shape4): Float64Array {
  const [N, C, H, W] = dyShape;
  checkLen('convBiasBackward dy', dy, N * C * H * W);
  const db = new Float64Array(C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H * W; i++) db[c] = db[c]! + dy[(n * C + c) * H * W + i]!;
  return db;
}

// ---------------------------------------------------------------------------------------------------------------
// batchnorm2d

/** Eval mode: y = gamma * (x - mean) / sqrt(var + eps) + beta, with the running statistics as constants. */
export function batchnormEvalForward(
  x: Data,
  shape: Shape4,
  gamma: Data,
  beta: Data,
  mean: Data,
  variance: Data,
  eps = 1e-5,
): Float64Array {
  const [N, C, H, W] = shape;
  checkLen('batchnormEvalForward x', x, N * C * H * W);
  const y = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(variance[c]! + eps);
      for (let i = 0; i < H * W; i++) {
        const idx = (n * C + c) * H * W + i;
        y[idx] = gamma[c]! * (x[idx]! - mean[c]!) * inv + beta[c]!;
      }
    }
  return y;
}

export function batchnormEvalBackward(
  dy: Data,
  x: Data,
  shape: Shape4,
  gamma: Data,
  mean: Data,
  variance: Data,
  eps = 1e-5,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const [N, C, H, W] = shape;
  checkLen('batchnormEvalBackward dy', dy, N * C * H * W);
  checkLen('batchnormEvalBackward x', x, N * C * H * W);
  const dx = new Float64Array(N * C * H * W);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c]! + eps);
    let sg = 0;
    let sb = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < H * W; i++) {
        const idx = (n * C + c) * H * W + i;
        const g = dy[idx]!;
        dx[idx] = g * gamma[c]! * inv;
        sg += g * (x[idx]! - mean[c]!) * inv;
        sb += g;
      }
    dgamma[c] = sg;
    dbeta[c] = sb;
  }
  return { dx, dgamma, dbeta };
}

/** Per-channel mean and biased variance over N, H, W (two passes). */
export function channelStats(x: Data, shape: Shape4): { mean: Float64Array; varBiased: Float64Array } {
  const [N, C, H, W] = shape;
  const M = N * H * W;
  const mean = new Float64Array(C);
  const varBiased = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) s += x[(n * C + c) * H * W + i]!;
    const m = s / M;
    let v = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < H * W; i++) {
        const d = x[(n * C + c) * H * W + i]! - m;
        v += d * d;
      }
    mean[c] = m;
    varBiased[c] = v / M;
  }
  return { mean, varBiased };
}

/**
 * Train mode: normalise with the batch mean and biased variance; running statistics updated with
 * new = (1 - momentum) * old + momentum * batch, using the unbiased variance (M / (M - 1) * biased) for var.
 */
export function batchnormTrainForward(
  x: Data,
  shape: Shape4,
  gamma: Data,
  beta: Data,
  runningMean: Data,
  runningVar: Data,
  eps = 1e-5,
  momentum = 0.1,
): {
  y: Float64Array;
  batchMean: Float64Array;
  batchVarBiased: Float64Array;
  newRunningMean: Float64Array;
  newRunningVar: Float64Array;
} {
  const [N, C, H, W] = shape;
  checkLen('batchnormTrainForward x', x, N * C * H * W);
  const M = N * H * W;
  const { mean: batchMean, varBiased: batchVarBiased } = channelStats(x, shape);
  const y = batchnormEvalForward(x, shape, gamma, beta, batchMean, batchVarBiased, eps);
  const newRunningMean = new Float64Array(C);
  const newRunningVar = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const unbiased = M > 1 ? (batchVarBiased[c]! * M) / (M - 1) : Number.NaN;
    newRunningMean[c] = (1 - momentum) * runningMean[c]! + momentum * batchMean[c]!;
    newRunningVar[c] = (1 - momentum) * runningVar[c]! + momentum * unbiased;
  }
  return { y, batchMean, batchVarBiased, newRunningMean, newRunningVar };
}

/**
 * Full batch-statistics backward of train-mode batchnorm (mean and variance depend on x):
 * dx = gamma * invstd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)).
 */
export function batchnormTrainBackward(
  dy: Data,
  x: Data,
  shape: Shape4,
  gamma: Data,
  eps = 1e-5,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const [N, C, H, W] = shape;
  checkLen('batchnormTrainBackward dy', dy, N * C * H * W);
  checkLen('batchnormTrainBackward x', x, N * C * H * W);
  const M = N * H * W;
  const { mean, varBiased } = channelStats(x, shape);
  const dx = new Float64Array(N * C * H * W);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(varBiased[c]! + eps);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < H * W; i++) {
        const idx = (n * C + c) * H * W + i;
        const xhat = (x[idx]! - mean[c]!) * inv;
        sumDy += dy[idx]!;
        sumDyXhat += dy[idx]! * xhat;
      }
    dgamma[c] = sumDyXhat;
    dbeta[c] = sumDy;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < H * W; i++) {
        const idx = (n * C + c) * H * W + i;
        const xhat = (x[idx]! - mean[c]!) * inv;
        dx[idx] = ((gamma[c]! * inv) / M) * (M * dy[idx]! - sumDy - xhat * sumDyXhat);
      }
  }
  return { dx, dgamma, dbeta };
}

// ---------------------------------------------------------------------------------------------------------------
// relu, add

export function reluForward(x: Data): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v > 0 ? v : 0;
  }
  return y;
}

/** PyTorch's threshold_backward: the gradient passes where x > 0 only (0 at x == 0). */
export function reluBackward(dy: Data, x: Data): Float64Array {
  checkLen('reluBackward x', x, dy.length);
  const dx = new Float64Array(dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
  return dx;
}

/** Elementwise a + b. Its backward is the identity into both operands. */
export function addForward(a: Data, b: Data): Float64Array {
  checkLen('addForward b', b, a.length);
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i]! + b[i]!;
  return y;
}

// ---------------------------------------------------------------------------------------------------------------
// max pool

/**
 * Max pool with PyTorch's CPU rule: padding is -inf (padded positions are never candidates); the window is scanned
 * in row-major order starting with maxval = -inf and index = the first in-bounds position, and the index updates
 * when `val > maxval || isnan(val)`: the FIRST maximum wins a tie, and the last NaN wins.
 * `argmax` holds, for each output, the flat index into x (n, c included) that receives the gradient.
 */
export function maxPoolForward(
  x: Data,
  shape: Shape4,
  { k, stride, pad }: PoolParams = { k: 3, stride: 2, pad: 1 },
): { y: Float64Array; shape: Shape4; argmax: Int32Array } {
  const [N, C, H, W] = shape;
  checkLen('maxPoolForward x', x, N * C * H * W);
  const OH = convOutSize(H, k, stride, pad);
  const OW = convOutSize(W, k, stride, pad);
  const y = new Float64Array(N * C * OH * OW);
  const argmax = new Int32Array(N * C * OH * OW);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const base = (n * C + c) * H * W;
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          const y0 = Math.max(oy * stride - pad, 0);
          const y1 = Math.min(oy * stride - pad + k, H);
          const x0 = Math.max(ox * stride - pad, 0);
          const x1 = Math.min(ox * stride - pad + k, W);
          let maxval = Number.NEGATIVE_INFINITY;
          let maxidx = y0 * W + x0;
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) {
              const v = x[base + iy * W + ix]!;
              if (v > maxval || Number.isNaN(v)) {
                maxval = v;
                maxidx = iy * W + ix;
              }
            }
          const o = ((n * C + c) * OH + oy) * OW + ox;
          y[o] = maxval;
          argmax[o] = base + maxidx;
        }
    }
  return { y, shape: [N, C, OH, OW], argmax };
}

/** Scatter-add dy into dx at the argmax positions (windows overlap: one input may receive several gradients). */
export function maxPoolBackward(dy: Data, argmax: ArrayLike<number>, xShape: Shape4): Float64Array {
  checkLen('maxPoolBackward argmax', argmax, dy.length);
  const dx = new Float64Array(prod(xShape));
  for (let i = 0; i < dy.length; i++) {
    const j = argmax[i]!;
    dx[j] = dx[j]! + dy[i]!;
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------------------------
// global average pool, linear

/** [N,C,H,W] -> [N,C]: the mean over H, W. */
export function globalAvgPoolForward(x: Data, shape: Shape4): Float64Array {
  const [N, C, H, W] = shape;
  checkLen('globalAvgPoolForward x', x, N * C * H * W);
  const y = new Float64Array(N * C);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let i = 0; i < H * W; i++) s += x[nc * H * W + i]!;
    y[nc] = s / (H * W);
  }
  return y;
}

/** dy [N,C] -> dx [N,C,H,W] = dy / (H*W) broadcast. */
export function globalAvgPoolBackward(dy: Data, xShape: Shape4): Float64Array {
  const [N, C, H, W] = xShape;
  checkLen('globalAvgPoolBackward dy', dy, N * C);
  const dx = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < H * W; i++) dx[nc * H * W + i] = dy[nc]! / (H * W);
  return dx;
}

/** y [N,M] = x [N,K] @ w[M,K]^T + b[M] (torch.nn.Linear). */
export function linearForward(x: Data, w: Data, b: Data | null, N: number, K: number, M: number): Float64Array {
  checkLen('linearForward x', x, N * K);
  checkLen('linearForward w', w, M * K);
  if (b) checkLen('linearForward b', b, M);
  const y = new Float64Array(N * M);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++) {
      let acc = b ? b[m]! : 0;
      for (let k = 0; k < K; k++) acc += x[n * K + k]! * w[m * K + k]!;
      y[n * M + m] = acc;
    }
  return y;
}

/** dx [N,K] = dy @ w; dw [M,K] = dy^T @ x; db [M] = sum over n of dy. */
export function linearBackward(
  dy: Data,
  x: Data,
  w: Data,
  N: number,
  K: number,
  M: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  checkLen('linearBackward dy', dy, N * M);
  checkLen('linearBackward x', x, N * K);
  checkLen('linearBackward w', w, M * K);
  const dx = new Float64Array(N * K);
  const dw = new Float64Array(M * K);
  const db = new Float64Array(M);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let m = 0; m < M; m++) acc += dy[n * M + m]! * w[m * K + k]!;
      dx[n * K + k] = acc;
    }
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let n = 0; n < N; n++) acc += dy[n * M + m]! * x[n * K + k]!;
      dw[m * K + k] = acc;
    }
    let s = 0;
    for (let n = 0; n < N; n++) s += dy[n * M + m]!;
    db[m] = s;
  }
  return { dx, dw, db };
}

// ---------------------------------------------------------------------------------------------------------------
// softmax, cross-entropy

/** Row-wise softmax of logits [N,K] (max-subtracted). */
export function softmax(logits: Data, N: number, K: number): Float64Array {
  checkLen('softmax logits', logits, N * K);
  const p = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[n * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(logits[n * K + k]! - mx);
      p[n * K + k] = e;
      s += e;
    }
    for (let k = 0; k < K; k++) p[n * K + k] = p[n * K + k]! / s;
  }
  return p;
}

/** loss = mean over n of -log softmax(logits[n])[labels[n]]; dlogits = (softmax - onehot) / N. */
export function crossEntropyMean(
  logits: Data,
  labels: ArrayLike<number>,
  N: number,
  K: number,
): { loss: number; dlogits: Float64Array } {
  checkLen('crossEntropyMean labels', labels, N);
  const p = softmax(logits, N, K);
  let loss = 0;
  const dlogits = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    const t = labels[n]!;
    if (!Number.isInteger(t) || t < 0 || t >= K) throw new Error(`crossEntropyMean: label ${t} out of range`);
    let mx = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[n * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logits[n * K + k]! - mx);
    loss += -(logits[n * K + t]! - mx - Math.log(s)); // log-sum-exp, not log(p): exact for tiny p
    for (let k = 0; k < K; k++) dlogits[n * K + k] = (p[n * K + k]! - (k === t ? 1 : 0)) / N;
  }
  return { loss: loss / N, dlogits };
}

// ---------------------------------------------------------------------------------------------------------------
// Grad-CAM (fixtures README, steps 1-6)

/** Step 1: weights[n,c] = mean over (y,x) of grad[n,c,y,x]. */
export function camWeights(grad: Data, shape: Shape4): Float64Array {
  return globalAvgPoolForward(grad, shape);
}

/** Step 2: raw[n] = max(0, sum over c of weights[n,c] * act[n,c]) -> [N,h,w]. */
export function camRaw(act: Data, shape: Shape4, weights: Data): Float64Array {
  const [N, C, h, w] = shape;
  checkLen('camRaw act', act, N * C * h * w);
  checkLen('camRaw weights', weights, N * C);
  const raw = new Float64Array(N * h * w);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < h * w; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += weights[n * C + c]! * act[(n * C + c) * h * w + i]!;
      raw[n * h * w + i] = s > 0 ? s : 0;
    }
  return raw;
}

/** m = m - min(m); m = m / (eps + max(m)), over the whole array given (one image). */
export function minMaxNormalize(m: Data, eps = 1e-7): Float64Array {
  let mn = Number.POSITIVE_INFINITY;
  for (let i = 0; i < m.length; i++) mn = Math.min(mn, m[i]!);
  const out = new Float64Array(m.length);
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m.length; i++) {
    out[i] = m[i]! - mn;
    mx = Math.max(mx, out[i]!);
  }
  for (let i = 0; i < m.length; i++) out[i] = out[i]! / (eps + mx);
  return out;
}

/** OpenCV INTER_LINEAR source index and weight along one axis (dst index d, src size s, dst size D). */
function cvLinearCoord(d: number, s: number, D: number): { i0: number; i1: number; f: number } {
  const scale = s / D;
  const sx = (d + 0.5) * scale - 0.5;
  let i0 = Math.floor(sx);
  let f = sx - i0;
  if (i0 < 0) {
    i0 = 0;
    f = 0;
  }
  if (i0 >= s - 1) {
    i0 = s - 1;
    f = 0;
  }
  const i1 = Math.min(i0 + 1, s - 1);
  return { i0, i1, f };
}

/**
 * cv2.resize(src, (W, H), interpolation=INTER_LINEAR) of one single-channel [h,w] image: half-pixel centres,
 * sx = (x + 0.5) * (w / W) - 0.5; sx < 0 -> index 0 weight 0; index >= w - 1 -> index w - 1 weight 0; no antialiasing.
 */
export function resizeBilinearOpenCV(src: Data, h: number, w: number, H: number, W: number): Float64Array {
  checkLen('resizeBilinearOpenCV src', src, h * w);
  const xs = Array.from({ length: W }, (_, x) => cvLinearCoord(x, w, W));
  const out = new Float64Array(H * W);
  for (let y = 0; y < H; y++) {
    const cy = cvLinearCoord(y, h, H);
    for (let x = 0; x < W; x++) {
      const cx = xs[x]!;
      const r0 = src[cy.i0 * w + cx.i0]! * (1 - cx.f) + src[cy.i0 * w + cx.i1]! * cx.f;
      const r1 = src[cy.i1 * w + cx.i0]! * (1 - cx.f) + src[cy.i1 * w + cx.i1]! * cx.f;
      out[y * W + x] = r0 * (1 - cy.f) + r1 * cy.f;
    }
  }
  return out;
}

/**
 * Steps 3-5 for every image of raw ([N,h,w] with N = raw.length / (h*w)): normalise, resize to H x W,
 * clamp at 0, normalise again. Returns [N,H,W].
 */
export function camMap(raw: Data, h: number, w: number, H: number, W: number): Float64Array {
  if (raw.length % (h * w) !== 0) throw new Error('camMap: raw length is not a multiple of h*w');
  const N = raw.length / (h * w);
  const out = new Float64Array(N * H * W);
  for (let n = 0; n < N; n++) {
    const img = Array.prototype.slice.call(raw, n * h * w, (n + 1) * h * w) as number[];
    const m = minMaxNormalize(img);
    const r = resizeBilinearOpenCV(m, h, w, H, W);
    const m2 = minMaxNormalize(reluForward(r));
    out.set(m2, n * H * W);
  }
  return out;
}

/**
 * Step 6 for one image: heat = lut[uint8(255 * map)] / 255; cam = alpha * heat + (1 - alpha) * image / 255;
 * cam /= max(cam) over all pixels and channels; overlay = uint8(255 * cam) (truncation). map [H,W] in [0,1],
 * imageRGB [H,W,3] uint8, lut [256,3] uint8 (RGB). Returns [H,W,3] uint8.
 */
export function overlay(map: Data, imageRGB: ArrayLike<number>, lut: ArrayLike<number>, alpha = 0.5): Uint8Array {
  const HW = map.length;
  checkLen('overlay imageRGB', imageRGB, HW * 3);
  checkLen('overlay lut', lut, 256 * 3);
  const cam = new Float64Array(HW * 3);
  let mx = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < HW; i++) {
    let li = Math.trunc(255 * map[i]!);
    if (!(li >= 0)) li = 0; // also NaN
    if (li > 255) li = 255;
    for (let ch = 0; ch < 3; ch++) {
      const heat = lut[li * 3 + ch]! / 255;
      const v = alpha * heat + ((1 - alpha) * imageRGB[i * 3 + ch]!) / 255;
      cam[i * 3 + ch] = v;
      if (v > mx) mx = v;
    }
  }
  const out = new Uint8Array(HW * 3);
  for (let i = 0; i < HW * 3; i++) {
    const v = Math.trunc((255 * cam[i]!) / mx);
    out[i] = Math.min(255, Math.max(0, v));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

/** ||a - b|| / ||b|| (b is the reference); 0 when both are zero. */
export function relL2(a: Data, b: Data): number {
  checkLen('relL2', a, b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  if (den === 0) return num === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.sqrt(num / den);
}

/** max |a - b| (NaN anywhere -> NaN). */
export function maxAbs(a: Data, b: Data): number {
  checkLen('maxAbs', a, b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Deterministic uniform [0, 1) generator. */
/**
 * x rounded to the nearest IEEE binary16 value, ties to even (subnormals below 2^-14, infinity from 65520): what
 * WGSL's f16(x) does to an f32 on an adapter with shader-f16. Node 20 has no Math.f16round.
 */
export function roundToF16(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--; // log2 may round across a power of two
  if (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10); // 10 stored mantissa bits; fixed spacing among subnormals
  const q = a / ulp; // exact: ulp is a power of two
  const floor = Math.floor(q);
  const r = q - floor > 0.5 || (q - floor === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return Math.sign(x) * r * ulp;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard normal samples (Box-Muller) from rng. */
export function randn(n: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng(); // (0, 1]
    const u2 = rng();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** Sum of a * b (the scalar objective L = sum(y * r) of the gradient checks). */
export function dot(a: Data, b: Data): number {
  checkLen('dot', a, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
