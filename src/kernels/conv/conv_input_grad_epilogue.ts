// The input gradient's fused epilogue (conv_input_grad_epilogue.wgsl): its constants and its three bindings,
// for the wrappers of the kernels that store dx.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import source from './conv_input_grad_epilogue.wgsl?raw';
import { constants } from '../wgsl.ts';

/**
 * What the kernel that stores dx does to each value first, in this order: add `addend` (another gradient of the
 * conv's input, same shape), zero where `reluOutput` (same shape: the conv's input, a ReLU's output) is not
 * positive, multiply by `scale[c]` per input channel.
 */
export interface InputGradEpilogue {
  addend?: Tensor;
  reluOutput?: Tensor;
  scale?: Tensor;
}

/** The snippet with its constants, and the tensors for bindings 4-6 (the context's dummy where unused). */
export function inputGradEpilogueParts(ctx: GpuContext, e: InputGradEpilogue, dx: readonly number[]): { code: string; bindings: Array<Tensor | GPUBuffer> } {
  const sameShape = (t: Tensor | undefined, what: string) => {
    if (t && t.shape.join(',') !== dx.join(',')) throw new Error(`input gradient epilogue: ${what} [${t.shape.join(',')}] is not dx's shape [${dx.join(',')}]`);
  };
  sameShape(e.addend, 'addend');
  sameShape(e.reluOutput, 'ReLU output');
  if (e.scale && e.scale.size !== dx[1]) throw new Error(`input gradient epilogue: ${e.scale.size} scales for ${dx[1]} channels`);
  const code = `${constants({ DX_ADD: e.addend !== undefined, DX_RELU_MASK: e.reluOutput !== undefined, DX_SCALE: e.scale !== undefined })}\n${source}`;
  return { code, bindings: [e.addend ?? ctx.dummy, e.reluOutput ?? ctx.dummy, e.scale ?? ctx.dummy] };
}
