// The common launch shapes: elementwise kernels (256 threads per workgroup, one element per thread, a uniform
// `count` first) and workgroup reductions sized to their input. Kept in one place so every wrapper stays short.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import reduceSource from './shared/workgroup_reduce.wgsl?raw';
import { constants, groups1d, params } from './wgsl.ts';

export const ELEMENTWISE_WORKGROUP = 256;

export function launchElementwise(
  ctx: GpuContext,
  code: string,
  label: string,
  count: number,
  uniforms: readonly number[],
  bindings: Array<Tensor | GPUBuffer>,
): void {
  ctx.dispatch(ctx.pipeline(code, label), [ctx.uniform(params([count, ...uniforms])), ...bindings], groups1d(count, ELEMENTWISE_WORKGROUP), label);
}

/**
 * Threads for a workgroup that reduces `values` numbers (shared/workgroup_reduce.wgsl): a power of two from 32
 * to 256, with at least 16 values per thread where that allows. Layer2's 784 pixels per channel get 64
 * threads, layer3's 196 and layer4's 49 get 32, not 256: SwiftShader runs a workgroup's threads in turn, and
 * 2048 channels of 256-thread tree reductions took 630-810 ms per batchnorm kernel (bench/NOTES.md). A GPU loses
 * nothing: those layers have 512-2048 channels, one workgroup each.
 */
export function reductionThreads(values: number): number {
  let threads = 32;
  while (threads * 16 < values && threads < 256) threads *= 2;
  return threads;
}

/** shared/workgroup_reduce.wgsl with REDUCE_THREADS sized for `values` numbers per workgroup. */
export function workgroupReduce(values: number): string {
  return `${constants({ REDUCE_THREADS: reductionThreads(values) })}\n${reduceSource}`;
}
