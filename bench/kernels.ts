// The per-kernel cases of the benchmark: for each distinct ResNet50 layer shape, the kernels wgcam runs on it,
// forward and backward, with their inputs made once and the dispatches to time. Browser-safe.
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { add } from '../src/kernels/elementwise/add.ts';
import { batchnormEval } from '../src/kernels/norm/batchnorm.ts';
import { batchnormEvalBackward, batchnormScaleBackward } from '../src/kernels/norm/batchnorm_backward.ts';
import { batchnormTrainBackward, batchnormTrainForward } from '../src/kernels/norm/batchnorm_train_backward.ts';
import { conv2d } from '../src/kernels/conv/conv2d.ts';
import { conv2dBackwardInput } from '../src/kernels/conv/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../src/kernels/conv/conv2d_backward_weight.ts';
import { globalAvgPool } from '../src/kernels/pool/global_avgpool.ts';
import { globalAvgPoolBackward } from '../src/kernels/pool/global_avgpool_backward.ts';
import { linear } from '../src/kernels/linear/linear.ts';
import { linearBackward } from '../src/kernels/linear/linear_backward.ts';
import { maxPool, RESNET_MAXPOOL } from '../src/kernels/pool/maxpool.ts';
import { maxPoolBackward } from '../src/kernels/pool/maxpool_backward.ts';
import { relu } from '../src/kernels/elementwise/relu.ts';
import { reluBackward } from '../src/kernels/elementwise/relu_backward.ts';
import * as cost from './accounting.ts';
import type { Cost } from './accounting.ts';
import { gemm } from '../src/kernels/gemm/gemm.ts';
import type { ActShape, ConvShape, NetworkShapes } from './shapes.ts';

export type KernelKind =
  | 'conv'
  | 'batchnorm'
  | 'batchnorm_train'
  | 'relu'
  | 'maxpool'
  | 'add'
  | 'avgpool'
  | 'linear'
  | 'gemm'
  | 'bandwidth';

export type Pass = 'forward' | 'input_grad' | 'weight_grad' | 'backward';

/** One thing to time: `setup` makes its inputs (untimed), `run` records the dispatches (timed). */
export interface KernelCase {
  kind: KernelKind;
  pass: Pass;
  name: string;
  /** The problem, e.g. `3x3/1 64->64 56x56` or `1x256x56x56`. */
  shape: string;
  /** Module paths of ResNet50 that run this exact problem (empty for the roofline cases). */
  layers: string[];
  cost: Cost;
  setup(ctx: GpuContext): Prepared;
}

export interface Prepared {
  /** Record the kernel's dispatches; returns the tensors it made, released by the caller after timing. */
  run(): Tensor[];
  free(): void;
}

/** Deterministic values in [lo, hi) (xorshift32): benchmarks need data, not meaning. */
export function randomData(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0 || 1;
  const scale = (hi - lo) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + s * scale;
  }
  return out;
}

class Inputs {
  private readonly held: Tensor[] = [];
  private seed = 1;
  constructor(private readonly ctx: GpuContext) {}
  random(shape: readonly number[], lo = -1, hi = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = this.ctx.upload(randomData(n, this.seed++, lo, hi), shape, 'f32', 'bench input');
    this.held.push(t);
    return t;
  }
  keep(t: Tensor): Tensor {
    this.held.push(t);
    return t;
  }
  free(): void {
    for (const t of this.held) t.release();
    this.held.length = 0;
  }
}

type CaseHead = Omit<KernelCase, 'setup'>;

/**
 * A case from its description and `make`, which creates the inputs (untimed, held by `inp` and freed with the
 * case) and returns the function whose dispatches are timed.
 */
function kernelCase(head: CaseHead, make: (inp: Inputs, ctx: GpuContext) => () => Tensor[]): KernelCase {
  return {
    ...head,
    setup(ctx) {
      const inp = new Inputs(ctx);
      return { run: make(inp, ctx), free: () => inp.free() };
    },
  };
}

/** The description of a case on one activation shape: `${label} ${shape}`, run by the layers of that shape. */
function onActivation(a: ActShape, kind: KernelKind, pass: Pass, label: string, c: Cost): CaseHead {
  return { kind, pass, name: `${label} ${a.key}`, shape: a.key, layers: a.layers, cost: c };
}

const dims = (a: ActShape): number[] => [a.n, a.c, a.h, a.w];

function convCases(c: ConvShape): KernelCase[] {
  const geom = { stride: c.stride, pad: c.pad };
  const xShape = [c.batch, c.inC, c.inH, c.inW] as const;
  const wShape = [c.outC, c.inC, c.kernel, c.kernel];
  const yShape = [c.batch, c.outC, c.outH, c.outW];
  const head = (pass: Pass, label: string, cost: Cost): CaseHead => ({ kind: 'conv', pass, name: `conv ${label} ${c.key}`, shape: c.key, layers: c.layers, cost });
  return [
    kernelCase(head('forward', 'fwd', cost.convForwardCost(c)), (inp, ctx) => {
      const x = inp.random(xShape);
      const w = inp.random(wShape, -0.1, 0.1);
      return () => [conv2d(ctx, x, w, geom)];
    }),
    kernelCase(head('input_grad', 'dx', cost.convInputGradCost(c)), (inp, ctx) => {
      const dy = inp.random(yShape);
      const w = inp.random(wShape, -0.1, 0.1);
      return () => [conv2dBackwardInput(ctx, dy, w, xShape, geom)];
    }),
    kernelCase(head('weight_grad', 'dw', cost.convWeightGradCost(c)), (inp, ctx) => {
      const dy = inp.random(yShape);
      const x = inp.random(xShape);
      return () => [conv2dBackwardWeight(ctx, dy, x, wShape, geom)];
    }),
  ];
}

function batchnormCases(a: ActShape): KernelCase[] {
  return [
    kernelCase(onActivation(a, 'batchnorm', 'forward', 'batchnorm fwd', cost.batchnormForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      const scale = inp.random([a.c], 0.5, 1.5);
      const shift = inp.random([a.c]);
      return () => [batchnormEval(ctx, x, scale, shift)];
    }),
    kernelCase(onActivation(a, 'batchnorm', 'backward', 'batchnorm bwd', cost.batchnormBackwardCost(a)), (inp, ctx) => {
      const dy = inp.random(dims(a));
      const x = inp.random(dims(a));
      const gamma = inp.random([a.c], 0.5, 1.5);
      const mean = inp.random([a.c], -0.1, 0.1);
      const variance = inp.random([a.c], 0.5, 1.5);
      return () => {
        const r = batchnormEvalBackward(ctx, dy, x, gamma, mean, variance);
        return [r.dx, r.dgamma, r.dbeta];
      };
    }),
    kernelCase(onActivation(a, 'batchnorm', 'input_grad', 'batchnorm+relu dx', cost.batchnormScaleBackwardCost(a)), (inp, ctx) => {
      const dy = inp.random(dims(a));
      const y = inp.random(dims(a));
      const scale = inp.random([a.c], 0.5, 1.5);
      return () => [batchnormScaleBackward(ctx, dy, scale, y)];
    }),
    kernelCase(onActivation(a, 'batchnorm_train', 'forward', 'batchnorm train fwd', cost.batchnormTrainForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      const gamma = inp.random([a.c], 0.5, 1.5);
      const beta = inp.random([a.c]);
      const mean = inp.random([a.c], -0.1, 0.1);
      const variance = inp.random([a.c], 0.5, 1.5);
      return () => {
        const r = batchnormTrainForward(ctx, x, gamma, beta, mean, variance, { momentum: 0.1, eps: 1e-5 });
        return [r.y, r.mean, r.invstd];
      };
    }),
    kernelCase(onActivation(a, 'batchnorm_train', 'backward', 'batchnorm train bwd', cost.batchnormTrainBackwardCost(a)), (inp, ctx) => {
      const dy = inp.random(dims(a));
      const x = inp.random(dims(a));
      const gamma = inp.random([a.c], 0.5, 1.5);
      const mean = inp.random([a.c], -0.1, 0.1);
      const invstd = inp.random([a.c], 0.5, 1.5);
      return () => {
        const r = batchnormTrainBackward(ctx, dy, x, gamma, mean, invstd);
        return [r.dx, r.dgamma, r.dbeta];
      };
    }),
  ];
}

function reluCases(a: ActShape): KernelCase[] {
  return [
    kernelCase(onActivation(a, 'relu', 'forward', 'relu fwd', cost.reluForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      return () => [relu(ctx, x)];
    }),
    kernelCase(onActivation(a, 'relu', 'backward', 'relu bwd', cost.reluBackwardCost(a)), (inp, ctx) => {
      const dy = inp.random(dims(a));
      const y = inp.random(dims(a));
      return () => [reluBackward(ctx, dy, y)];
    }),
  ];
}

function addCases(a: ActShape): KernelCase[] {
  return [
    kernelCase(onActivation(a, 'add', 'forward', 'add+relu fwd', cost.addReluForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      const y = inp.random(dims(a));
      return () => [add(ctx, x, y, true)];
    }),
    kernelCase(onActivation(a, 'add', 'backward', 'add bwd (branch sum)', cost.addBackwardCost(a)), (inp, ctx) => {
      const g1 = inp.random(dims(a));
      const g2 = inp.random(dims(a));
      return () => [add(ctx, g1, g2)];
    }),
  ];
}

function maxPoolCases(a: ActShape): KernelCase[] {
  return [
    kernelCase(onActivation(a, 'maxpool', 'forward', 'maxpool fwd', cost.maxPoolForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      return () => {
        const r = maxPool(ctx, x, RESNET_MAXPOOL);
        return [r.y, r.argmax];
      };
    }),
    kernelCase(onActivation(a, 'maxpool', 'backward', 'maxpool bwd', cost.maxPoolBackwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      const { y, argmax } = maxPool(ctx, x, RESNET_MAXPOOL);
      inp.keep(argmax);
      const dy = inp.keep(y); // any values do as the gradient
      const xShape = dims(a) as [number, number, number, number];
      return () => [maxPoolBackward(ctx, dy, argmax, xShape, RESNET_MAXPOOL)];
    }),
  ];
}

function avgPoolCases(a: ActShape): KernelCase[] {
  return [
    kernelCase(onActivation(a, 'avgpool', 'forward', 'avgpool fwd', cost.avgPoolForwardCost(a)), (inp, ctx) => {
      const x = inp.random(dims(a));
      return () => [globalAvgPool(ctx, x)];
    }),
    kernelCase(onActivation(a, 'avgpool', 'backward', 'avgpool bwd', cost.avgPoolBackwardCost(a)), (inp, ctx) => {
      const dy = inp.random([a.n, a.c]);
      const xShape = dims(a) as [number, number, number, number];
      return () => [globalAvgPoolBackward(ctx, dy, xShape)];
    }),
  ];
}

function linearCases(s: NetworkShapes): KernelCase[] {
  const l = s.linear;
  const shape = `${l.rows}x${l.inFeatures}->${l.outFeatures}`;
  const head = (pass: Pass, label: string, cost: Cost): CaseHead => ({ kind: 'linear', pass, name: `linear ${label} ${shape}`, shape, layers: ['fc'], cost });
  return [
    kernelCase(head('forward', 'fwd', cost.linearForwardCost(l)), (inp, ctx) => {
      const x = inp.random([l.rows, l.inFeatures]);
      const w = inp.random([l.outFeatures, l.inFeatures], -0.05, 0.05);
      const b = inp.random([l.outFeatures]);
      return () => [linear(ctx, x, w, b)];
    }),
    kernelCase(head('backward', 'bwd', cost.linearBackwardCost(l)), (inp, ctx) => {
      const dy = inp.random([l.rows, l.outFeatures]);
      const x = inp.random([l.rows, l.inFeatures]);
      const w = inp.random([l.outFeatures, l.inFeatures], -0.05, 0.05);
      return () => {
        const r = linearBackward(ctx, dy, x, w, { needInput: true, needWeight: true, needBias: true });
        return [r.dx!, r.dw!, r.db!];
      };
    }),
  ];
}

/** The roofline: a square GEMM on the shared tile core. */
export function gemmCase(size: number): KernelCase {
  const shape = `${size}x${size}x${size}`;
  return kernelCase({ kind: 'gemm', pass: 'forward', name: `gemm ${shape}`, shape, layers: [], cost: cost.gemmCost(size, size, size) }, (inp, ctx) => {
    const a = inp.random([size, size]);
    const b = inp.random([size, size]);
    return () => [gemm(ctx, a, b)];
  });
}

/** Streaming bandwidth: a ReLU over `mib` MiB (read once, written once), the simplest elementwise kernel. */
export function bandwidthCase(mib: number): KernelCase {
  const n = (mib * 2 ** 20) / 4;
  const a: ActShape = { key: `${n}`, layers: [], n: 1, c: 1, h: 1, w: n };
  const head: CaseHead = { kind: 'bandwidth', pass: 'forward', name: `stream relu ${mib} MiB`, shape: `${n} f32`, layers: [], cost: cost.reluForwardCost(a) };
  return kernelCase(head, (inp, ctx) => {
    const x = inp.random([n]);
    return () => [relu(ctx, x)];
  });
}

/** Every layer case for the given shapes (convs already filtered by the caller for --quick). */
export function layerCases(s: NetworkShapes, convs: readonly ConvShape[]): KernelCase[] {
  return [
    ...convs.flatMap(convCases),
    ...s.batchnorms.flatMap(batchnormCases),
    ...s.relus.flatMap(reluCases),
    ...maxPoolCases(s.maxpool),
    ...s.adds.flatMap(addCases),
    ...avgPoolCases(s.avgpool),
    ...linearCases(s),
  ];
}
