// The differentiable ops ResNet50 is built from. Each runs its forward kernel and, when the tape asks,
// records a node whose backward closure runs the matching backward kernels. Fusion decisions live here:
// eval-mode conv + batchnorm (+ residual) (+ ReLU) is one kernel unless a path inside it is observed.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/elementwise/add.ts';
import { batchnormEval } from '../kernels/norm/batchnorm.ts';
import { conv2d, type ConvGeometry } from '../kernels/conv/conv2d.ts';
import { globalAvgPool } from '../kernels/pool/global_avgpool.ts';
import { linear } from '../kernels/linear/linear.ts';
import { maxPool, RESNET_MAXPOOL } from '../kernels/pool/maxpool.ts';
import { relu } from '../kernels/elementwise/relu.ts';
import { conv2dBackwardInput } from '../kernels/conv/conv2d_backward_input.ts';
import { conv2dBackwardWeight } from '../kernels/conv/conv2d_backward_weight.ts';
import { batchnormEvalBackward, batchnormScaleBackward } from '../kernels/norm/batchnorm_backward.ts';
import { batchnormTrainForward, batchnormTrainBackward } from '../kernels/norm/batchnorm_train_backward.ts';
import { reluBackward } from '../kernels/elementwise/relu_backward.ts';
import { maxPoolBackward } from '../kernels/pool/maxpool_backward.ts';
import { globalAvgPoolBackward } from '../kernels/pool/global_avgpool_backward.ts';
import { linearBackward } from '../kernels/linear/linear_backward.ts';
import { BN_EPS, BN_MOMENTUM } from './architecture.ts';
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
      const y = this.fusedConvBn(x, w, convName, bn, geom, opts);
      if (opts.reluPath) this.emit(opts.reluPath, y);
      return y;
    }
    const c = this.conv(x, w, convName, geom);
    this.emit(convName, c);
    const b = this.batchnorm(c, bn);
    c.release();
    this.emit(bn.name, b);
    let y: Tensor;
    if (opts.residual) {
      y = this.add(b, opts.residual, opts.relu);
    } else if (opts.relu) {
      y = this.relu(b);
    } else {
      return b;
    }
    b.release();
    if (opts.reluPath) this.emit(opts.reluPath, y);
    return y;
  }

  /** Eval-mode conv with batchnorm, residual and ReLU in its epilogue; backward undoes them in reverse. */
  private fusedConvBn(x: Tensor, w: Tensor, convName: string, bn: BatchnormParams, geom: ConvGeometry, opts: ConvBnOptions): Tensor {
    const ctx = this.ctx;
    const y = conv2d(ctx, x, w, geom, { scale: bn.scale, shift: bn.shift, residual: opts.residual, relu: opts.relu });
    const tape = this.tape;
    const weightName = `${convName}.weight`;
    if (tape?.needs([x, opts.residual], [weightName])) {
      const wantWeight = tape.wantsParam(weightName);
      const saved = [...(opts.relu ? [y.retain()] : []), ...(wantWeight ? [x.retain()] : [])];
      const xShape = x.shape as [number, number, number, number];
      // Backward undoes the epilogue: ReLU mask, then batchnorm scale. Without a residual both can be done by
      // the kernel that computes the output gradient (the next conv's input gradient); with one, the masked
      // gradient is also the residual's, so only the mask can, and the scale goes into this conv's read of dy.
      const reluOutput = opts.relu ? y : undefined;
      tape.record({
        label: `${convName}+${bn.name}${opts.residual ? '+add' : ''}${opts.relu ? '+relu' : ''}`,
        inputs: [x, opts.residual ?? null],
        output: y,
        saved,
        // In guided mode the ReLU's rule is guided backprop's, applied here, not by the next kernel's plain mask.
        gradPrologue: tape.guided && reluOutput ? undefined : opts.residual ? (reluOutput ? { reluOutput } : undefined) : { reluOutput, scale: bn.scale },
        epilogueInputs: [true, false],
        backward: (g, need, fused) => {
          const done = fused.prologueDone;
          let gPre: Tensor | null = null;
          // The gradient at the batchnorm's output (masked), and whether it is scaled yet.
          let gConv: Tensor;
          let scaled = false;
          if (opts.residual) {
            gPre = reluOutput && !done ? reluBackward(ctx, g, reluOutput, tape.guided) : g.retain();
            gConv = gPre.retain();
          } else if (done) {
            gConv = g.retain();
            scaled = true;
          } else if (reluOutput) {
            gConv = batchnormScaleBackward(ctx, g, bn.scale, reluOutput, tape.guided);
            scaled = true;
          } else {
            gConv = g.retain();
          }
          if (wantWeight) {
            if (!scaled) {
              const unscaled = gConv;
              gConv = batchnormScaleBackward(ctx, unscaled, bn.scale);
              unscaled.release();
              scaled = true;
            }
            tape.addParamGrad(weightName, conv2dBackwardWeight(ctx, gConv, x, w.shape, geom));
          }
          const epilogue = fused.epilogues[0] ?? undefined;
          const dx = need[0] ? conv2dBackwardInput(ctx, gConv, w, xShape, geom, { dyScale: scaled ? undefined : bn.scale, epilogue }) : null;
          gConv.release();
          if (gPre && !need[1]) {
            gPre.release();
            gPre = null;
          }
          return [dx, gPre];
        },
      });
    }
    return y;
  }

  conv(x: Tensor, w: Tensor, convName: string, geom: ConvGeometry): Tensor {
    const ctx = this.ctx;
    const y = conv2d(ctx, x, w, geom);
    const tape = this.tape;
    const weightName = `${convName}.weight`;
    if (tape?.needs([x], [weightName])) {
      const wantWeight = tape.wantsParam(weightName);
      const xShape = x.shape as [number, number, number, number];
      tape.record({
        label: convName,
        inputs: [x],
        output: y,
        saved: wantWeight ? [x.retain()] : [],
        epilogueInputs: [true],
        backward: (g, need, fused) => {
          if (wantWeight) tape.addParamGrad(weightName, conv2dBackwardWeight(ctx, g, x, w.shape, geom));
          return [need[0] ? conv2dBackwardInput(ctx, g, w, xShape, geom, { epilogue: fused.epilogues[0] ?? undefined }) : null];
        },
      });
    }
    return y;
  }

  batchnorm(x: Tensor, bn: BatchnormParams): Tensor {
    return this.mode === 'train' ? this.batchnormTrain(x, bn) : this.batchnormEval(x, bn);
  }

  private batchnormEval(x: Tensor, bn: BatchnormParams): Tensor {
    const ctx = this.ctx;
    const y = batchnormEval(ctx, x, bn.scale, bn.shift);
    const tape = this.tape;
    const names = [`${bn.name}.weight`, `${bn.name}.bias`] as const;
    if (tape?.needs([x], names)) {
      const wantParams = tape.wantsParam(names[0]) || tape.wantsParam(names[1]);
      tape.record({
        label: bn.name,
        inputs: [x],
        output: y,
        saved: wantParams ? [x.retain()] : [],
        // With its parameters wanted, backward reads the raw output gradient.
        gradPrologue: wantParams ? undefined : { scale: bn.scale },
        backward: (g, need, fused) => {
          if (fused.prologueDone) return [need[0] ? g.retain() : null];
          if (wantParams) {
            const r = batchnormEvalBackward(ctx, g, x, bn.gamma, bn.runningMean, bn.runningVar, BN_EPS);
            tape.addParamGrad(names[0], r.dgamma);
            tape.addParamGrad(names[1], r.dbeta);
            if (need[0]) return [r.dx];
            r.dx.release();
            return [null];
          }
          return [need[0] ? batchnormScaleBackward(ctx, g, bn.scale) : null];
        },
      });
    }
    return y;
  }

  /** Train mode: batch statistics, running statistics updated in place (momentum 0.1, unbiased variance). */
  private batchnormTrain(x: Tensor, bn: BatchnormParams): Tensor {
    const ctx = this.ctx;
    const { y, mean, invstd } = batchnormTrainForward(ctx, x, bn.gamma, bn.beta, bn.runningMean, bn.runningVar, { momentum: BN_MOMENTUM, eps: BN_EPS });
    const tape = this.tape;
    const names = [`${bn.name}.weight`, `${bn.name}.bias`] as const;
    if (tape?.needs([x], names)) {
      tape.record({
        label: `${bn.name} (train)`,
        inputs: [x],
        output: y,
        saved: [x.retain(), mean, invstd],
        backward: (g, need) => {
          const r = batchnormTrainBackward(ctx, g, x, bn.gamma, mean, invstd);
          tape.addParamGrad(names[0], r.dgamma);
          tape.addParamGrad(names[1], r.dbeta);
          if (need[0]) return [r.dx];
          r.dx.release();
          return [null];
        },
      });
    } else {
      mean.release();
      invstd.release();
    }
    return y;
  }

  relu(x: Tensor): Tensor {
    const ctx = this.ctx;
    const y = relu(ctx, x);
    const tape = this.tape;
    if (tape?.needs([x])) {
      tape.record({
        label: 'relu',
        inputs: [x],
        output: y,
        saved: [y.retain()],
        // Guided backprop's rule is not the plain mask, so in guided mode the ReLU's own backward applies it.
        gradPrologue: tape.guided ? undefined : { reluOutput: y },
        backward: (g, _need, fused) => [fused.prologueDone ? g.retain() : reluBackward(ctx, g, y, tape.guided)],
      });
    }
    return y;
  }

  /** Residual add (+ ReLU). Its gradient is the output gradient, masked by the ReLU, to both inputs. */
  add(a: Tensor, b: Tensor, withRelu: boolean): Tensor {
    const ctx = this.ctx;
    const y = add(ctx, a, b, withRelu);
    const tape = this.tape;
    if (tape?.needs([a, b])) {
      tape.record({
        label: withRelu ? 'add+relu' : 'add',
        inputs: [a, b],
        output: y,
        saved: withRelu ? [y.retain()] : [],
        // Guided backprop's rule is not the plain mask, so in guided mode the ReLU's own backward applies it.
        gradPrologue: withRelu && !tape.guided ? { reluOutput: y } : undefined,
        backward: (g, need, fused) => {
          const gIn = withRelu && !fused.prologueDone ? reluBackward(ctx, g, y, tape.guided) : g.retain();
          const ga = need[0] ? gIn.retain() : null;
          const gb = need[1] ? gIn.retain() : null;
          gIn.release();
          return [ga, gb];
        },
      });
    }
    return y;
  }

  maxPool(x: Tensor, path: string): Tensor {
    const ctx = this.ctx;
    const { y, argmax } = maxPool(ctx, x, RESNET_MAXPOOL);
    if (this.tape?.needs([x])) {
      const xShape = x.shape as [number, number, number, number];
      this.tape.record({
        label: path,
        inputs: [x],
        output: y,
        saved: [argmax],
        backward: (g) => [maxPoolBackward(ctx, g, argmax, xShape, RESNET_MAXPOOL)],
      });
    } else {
      argmax.release();
    }
    this.emit(path, y);
    return y;
  }

  globalAvgPool(x: Tensor, path: string): Tensor {
    const ctx = this.ctx;
    const y = globalAvgPool(ctx, x);
    if (this.tape?.needs([x])) {
      const xShape = x.shape as [number, number, number, number];
      this.tape.record({ label: path, inputs: [x], output: y, saved: [], backward: (g) => [globalAvgPoolBackward(ctx, g, xShape)] });
    }
    this.emit(path, y);
    return y;
  }

  linear(x: Tensor, w: Tensor, wName: string, b: Tensor, bName: string, path: string): Tensor {
    const ctx = this.ctx;
    const y = linear(ctx, x, w, b);
    const tape = this.tape;
    if (tape?.needs([x], [wName, bName])) {
      const wantWeight = tape.wantsParam(wName);
      const wantBias = tape.wantsParam(bName);
      tape.record({
        label: path,
        inputs: [x],
        output: y,
        saved: wantWeight ? [x.retain()] : [],
        backward: (g, need) => {
          const r = linearBackward(ctx, g, x, w, { needInput: need[0] === true, needWeight: wantWeight, needBias: wantBias });
          if (r.dw) tape.addParamGrad(wName, r.dw);
          if (r.db) tape.addParamGrad(bName, r.db);
          return [r.dx ?? null];
        },
      });
    }
    this.emit(path, y);
    return y;
  }
}
