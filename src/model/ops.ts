// The differentiable ops ResNet50 is built from. Each runs its forward kernel and, when the tape asks,
// records a node whose backward closure runs the matching backward kernels. Fusion decisions live here:
// eval-mode conv + batchnorm (+ residual) (+ ReLU) is one kernel unless a path inside it is observed.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/add.ts';
import { batchnormEval } from '../kernels/batchnorm.ts';
import { conv2d, type ConvGeometry } from '../kernels/conv2d.ts';
import { globalAvgPool } from '../kernels/global_avgpool.ts';
import { linear } from '../kernels/linear.ts';
import { maxPool, RESNET_MAXPOOL } from '../kernels/maxpool.ts';
import { relu } from '../kernels/relu.ts';
import type { Tape } from './tape.ts';

export type Mode = 'eval' | 'train';

export interface BatchnormParams {
  name: string;
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** Eval-mode fold: gamma / sqrt(var + eps) and beta - mean * scale. */
  scale: Tensor;
  shift: Tensor;
}

export interface ConvBnOptions {
  relu: boolean;
  residual?: Tensor;
  /** Path under which the ReLU output is also known (e.g. the stem's `relu`). */
  reluPath?: string;
}

export class Ops {
  /** Called for every module output, with its path (the model uses it to capture). */
  onEmit: (path: string, t: Tensor) => void = () => {};

  constructor(
    readonly ctx: GpuContext,
    readonly mode: Mode,
    readonly tape: Tape | undefined,
    private readonly observed: ReadonlySet<string>,
  ) {}

  /** A module output exists under `path`. */
  emit(path: string, t: Tensor): void {
    this.onEmit(path, t);
    this.tape?.markPath(path, t);
  }

  private isObserved(path: string): boolean {
    return this.observed.has(path) || (this.tape?.wantsPath(path) ?? false);
  }

  /** conv -> batchnorm -> (+ residual) -> (ReLU), fused into one kernel when nothing inside is observed. */
  convBn(x: Tensor, w: Tensor, convName: string, bn: BatchnormParams, geom: ConvGeometry, opts: ConvBnOptions): Tensor {
    const tape = this.tape;
    const fusable =
      this.mode === 'eval' &&
      !this.isObserved(convName) &&
      !this.isObserved(bn.name) &&
      !(tape && (tape.wantsParam(`${bn.name}.weight`) || tape.wantsParam(`${bn.name}.bias`)));
    if (fusable) {
      const y = conv2d(this.ctx, x, w, geom, { scale: bn.scale, shift: bn.shift, residual: opts.residual, relu: opts.relu });
      if (opts.reluPath) this.emit(opts.reluPath, y);
      return y;
    }
    const c = conv2d(this.ctx, x, w, geom);
    this.emit(convName, c);
    const b = this.batchnorm(c, bn);
    c.release();
    this.emit(bn.name, b);
    let y: Tensor;
    if (opts.residual) {
      y = add(this.ctx, b, opts.residual, opts.relu);
    } else if (opts.relu) {
      y = relu(this.ctx, b);
    } else {
      return b;
    }
    b.release();
    if (opts.reluPath) this.emit(opts.reluPath, y);
    return y;
  }

  batchnorm(x: Tensor, bn: BatchnormParams): Tensor {
    return batchnormEval(this.ctx, x, bn.scale, bn.shift);
  }

  maxPool(x: Tensor, path: string): Tensor {
    const { y, argmax } = maxPool(this.ctx, x, RESNET_MAXPOOL);
    argmax.release();
    this.emit(path, y);
    return y;
  }

  globalAvgPool(x: Tensor, path: string): Tensor {
    const y = globalAvgPool(this.ctx, x);
    this.emit(path, y);
    return y;
  }

  linear(x: Tensor, w: Tensor, _wName: string, b: Tensor, _bName: string, path: string): Tensor {
    const y = linear(this.ctx, x, w, b);
    this.emit(path, y);
    return y;
  }
}
