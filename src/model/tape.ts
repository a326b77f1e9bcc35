// A tiny reverse-mode autograd tape over GPU tensors.
//
// The forward pass asks the tape, op by op, whether to record: an op is recorded only when one of its inputs
// requires a gradient or one of its parameters was asked for. Marking starts at the earliest thing asked for
// (the input, a module output, or a parameter), so Grad-CAM at `layer4` records only the head (avgpool, fc)
// and its backward runs no conv backward. Each node keeps only the tensors its own backward reads, and
// releases them as soon as it has run.
//
// Gradient prologues: a node may say what its backward does first to its output gradient (a ReLU mask, then a
// batchnorm scale), and a node may compute an input's gradient through an epilogue (a conv's input gradient
// stores dx through one). When the node that computes a tensor's gradient last can do its producer's prologue
// in that epilogue, the tape has it done there, and the producer's backward is told so: no pass of its own. The
// branch sum of a tensor used twice (a residual block's input) goes into the same epilogue.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/elementwise/add.ts';
import type { InputGradEpilogue } from '../kernels/conv/conv_input_grad_epilogue.ts';

export interface GradRequest {
  /** Module paths whose output gradients are wanted (`layer4`, `layer4.2.conv3`, ...). */
  paths?: readonly string[];
  /** Gradient with respect to the network input. */
  input?: boolean;
  /** Parameter names (`conv1.weight`, `fc.bias`, ...). */
  params?: readonly string[];
  /**
   * Guided backpropagation: every ReLU's backward (plain, or fused into a conv or residual epilogue) passes a
   * gradient only where the ReLU's input was positive and the gradient is positive (GuidedBackpropReLU).
   */
  guided?: boolean;
}

export interface TapeNode {
  label: string;
  /** The op's tensor inputs; `null` for an input that never needs a gradient. */
  inputs: ReadonlyArray<Tensor | null>;
  output: Tensor;
  /** Tensors kept for backward; released after it runs, or when the tape is disposed. */
  saved: Tensor[];
  /**
   * What backward does first to the output gradient, in this order: zero it where `reluOutput` is not positive,
   * multiply by `scale[c]` per channel. Another node may do it instead (then `fused.prologueDone`).
   */
  gradPrologue?: { reluOutput?: Tensor; scale?: Tensor };
  /** Per input: whether backward computes that input's gradient through an epilogue (`fused.epilogues`). */
  epilogueInputs?: readonly boolean[];
  /** Gradients for `inputs` (null where `need` is false), and parameter gradients via `tape.addParamGrad`. */
  backward(gradOutput: Tensor, need: readonly boolean[], fused: FusedBackward): Array<Tensor | null>;
}

/** What the tape asks of one node's backward beyond its plain gradients. */
export interface FusedBackward {
  /** The output gradient already went through this node's `gradPrologue`. */
  prologueDone: boolean;
  /**
   * Per input, the epilogue its gradient must be computed through (only where `epilogueInputs` says it can):
   * an `addend` makes the result the input's whole gradient so far, not a term to add.
   */
  epilogues: ReadonlyArray<InputGradEpilogue | null>;
}

export interface BackwardResult {
  /** Gradient at each requested module path (the caller releases them). */
  paths: Map<string, Tensor>;
  input: Tensor | null;
  params: Map<string, Tensor>;
}

export class Tape {
  private readonly nodes: TapeNode[] = [];
  private readonly requiring = new Set<Tensor>();
  private readonly watched = new Map<string, Tensor>();
  private readonly paramGrads = new Map<string, Tensor>();
  private readonly wantedPaths: ReadonlySet<string>;
  private readonly wantedParams: ReadonlySet<string>;
  private inputTensor: Tensor | null = null;
  private done = false;

  constructor(
    private readonly ctx: GpuContext,
    readonly request: GradRequest,
  ) {
    this.wantedPaths = new Set(request.paths ?? []);
    this.wantedParams = new Set(request.params ?? []);
  }

  /** Whether ReLU backwards follow the guided rule (GradRequest.guided). */
  get guided(): boolean {
    return this.request.guided === true;
  }

  wantsPath(path: string): boolean {
    return this.wantedPaths.has(path);
  }

  wantsParam(name: string): boolean {
    return this.wantedParams.has(name);
  }

  requiresGrad(t: Tensor | null | undefined): boolean {
    return t != null && this.requiring.has(t);
  }

  /** Called by the model on its input tensor. */
  markInput(input: Tensor): void {
    this.inputTensor = input;
    if (this.request.input) this.requiring.add(input);
  }

  /** Called by the model for each module output; keeps the ones whose gradients were asked for. */
  markPath(path: string, t: Tensor): void {
    if (!this.wantedPaths.has(path)) return;
    if (!this.watched.has(path)) this.watched.set(path, t);
    this.requiring.add(t);
  }

  /** Whether an op with these inputs and parameters must be recorded. */
  needs(inputs: ReadonlyArray<Tensor | null | undefined>, params: readonly string[] = []): boolean {
    return inputs.some((t) => this.requiresGrad(t)) || params.some((p) => this.wantedParams.has(p));
  }

  record(node: TapeNode): void {
    if (this.done) throw new Error('tape: record after backward');
    this.nodes.push(node);
    this.requiring.add(node.output);
  }

  /** Accumulate a parameter gradient (parameters used once in ResNet50, but summing keeps this honest). */
  addParamGrad(name: string, grad: Tensor): void {
    if (!this.wantedParams.has(name)) {
      grad.release();
      return;
    }
    this.accumulate(this.paramGrads, name, grad);
  }

  get recordedOps(): readonly string[] {
    return this.nodes.map((n) => n.label);
  }

  /** Run the recorded ops in reverse from `output` with gradient `seed`. The tape is spent afterwards. */
  backward(output: Tensor, seed: Tensor): BackwardResult {
    if (this.done) throw new Error('tape: backward called twice');
    this.done = true;
    const grads = new Map<Tensor, Tensor>();
    grads.set(output, seed.retain());
    const keep = new Set(this.watched.values());
    if (this.inputTensor) keep.add(this.inputTensor);
    // Each tensor's producer, and the earliest node that reads it (in backward, the last to add to its gradient).
    const producer = new Map<Tensor, TapeNode>();
    const lastReader = new Map<Tensor, number>();
    this.nodes.forEach((node, i) => {
      producer.set(node.output, node);
      for (const t of node.inputs) if (t && !lastReader.has(t)) lastReader.set(t, i);
    });
    // Tensors whose gradient went through their producer's prologue.
    const prologueDone = new Set<Tensor>();
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      const g = grads.get(node.output);
      if (g) {
        const need = node.inputs.map((t) => this.requiresGrad(t));
        const epilogues = node.inputs.map((t, k) => {
          // A tensor given twice to one node gets its two gradients the plain way.
          if (!t || !need[k] || !node.epilogueInputs?.[k] || node.inputs.indexOf(t) !== node.inputs.lastIndexOf(t)) return null;
          const e: InputGradEpilogue = {};
          const sofar = grads.get(t);
          if (sofar) e.addend = sofar;
          const prologue = producer.get(t)?.gradPrologue;
          if (prologue && lastReader.get(t) === i && !keep.has(t)) {
            Object.assign(e, prologue);
            prologueDone.add(t);
          }
          return e;
        });
        const inputGrads = node.backward(g, need, { prologueDone: prologueDone.has(node.output), epilogues });
        inputGrads.forEach((ig, k) => {
          const t = node.inputs[k];
          const addend = epilogues[k]?.addend;
          if (ig && t && addend) {
            // The epilogue added the gradient so far: the result replaces it.
            grads.set(t, ig);
            addend.release();
          } else if (ig && t) this.accumulate(grads, t, ig);
          else ig?.release();
        });
        if (!keep.has(node.output)) {
          g.release();
          grads.delete(node.output);
        }
      }
      for (const s of node.saved) s.release();
      node.saved.length = 0;
    }
    this.nodes.length = 0;
    const paths = new Map<string, Tensor>();
    for (const [path, t] of this.watched) {
      const g = grads.get(t);
      paths.set(path, g ? g.retain() : this.ctx.zeros(t.shape));
    }
    const input = this.request.input && this.inputTensor ? (grads.get(this.inputTensor)?.retain() ?? this.ctx.zeros(this.inputTensor.shape)) : null;
    for (const g of grads.values()) g.release();
    const params = new Map(this.paramGrads);
    this.paramGrads.clear();
    return { paths, input, params };
  }

  /** Free everything still held (a tape that was recorded but never run backward). */
  dispose(): void {
    for (const node of this.nodes) for (const s of node.saved) s.release();
    this.nodes.length = 0;
    for (const g of this.paramGrads.values()) g.release();
    this.paramGrads.clear();
    this.done = true;
  }

  private accumulate<K>(map: Map<K, Tensor>, key: K, grad: Tensor): void {
    const prev = map.get(key);
    if (!prev) {
      map.set(key, grad);
      return;
    }
    map.set(key, add(this.ctx, prev, grad));
    prev.release();
    grad.release();
  }
}
