// The common launch shapes: elementwise kernels (256 threads per workgroup, one element per thread, a uniform
// `count` first) and workgroup reductions sized to their input. Kept in one place so every wrapper stays short.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import serialReduceSource from './software/serial_reduce.wgsl?raw';
import reduceSource from './reduce/workgroup_reduce.wgsl?raw';
import { constants, groups1d, params } from './wgsl.ts';

export const ELEMENTWISE_WORKGROUP = 256;

export function launchElementwise(
  ctx: GpuContext,
  code: string,
  label: string,
  count: number,
  uniforms: readonly number[],
  bindings: Array<Tensor | GPUBuffer | null>,
): void {
  ctx.dispatch(ctx.pipeline(code, label), [ctx.uniform(params([count, ...uniforms])), ...bindings], groups1d(count, ELEMENTWISE_WORKGROUP), label);
}

/**
 * Threads for a workgroup that reduces `values` numbers (reduce/workgroup_reduce.wgsl): a power of two from 32
 * to 256, with at least 16 values per thread where that allows. Layer2's 784 pixels per channel get 64 threads,
 * layer3's 196 and layer4's 49 get 32, not 256, which would idle most of them; a GPU loses nothing, since those
 * layers have 512-2048 channels, one workgroup each.
 */
export function reductionThreads(values: number): number {
  let threads = 32;
  while (threads * 16 < values && threads < 256) threads *= 2;
  return threads;
}

/**
 * The reduction snippet for a workgroup over `values` numbers, in the context's style (config.ts: the tree
 * with REDUCE_THREADS sized to the values, what a GPU wants; or software/serial_reduce.wgsl, one thread per
 * workgroup and no barrier, which SwiftShader runs faster).
 */
export function workgroupReduce(ctx: GpuContext, values: number): string {
  if (ctx.kernels.reductions === 'serial') return `${constants({ REDUCE_THREADS: 1 })}\n${serialReduceSource}`;
  return `${constants({ REDUCE_THREADS: reductionThreads(values) })}\n${reduceSource}`;
}
