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

/**
 * How a context's per-workgroup reductions run. 'tree': REDUCE_THREADS threads and a tree in workgroup memory
 * (shared/workgroup_reduce.wgsl), what a GPU wants. 'serial': one thread per workgroup walks all the values
 * (shared/serial_reduce.wgsl), with no workgroup memory and no barrier: on SwiftShader every invocation of a
 * kernel with a barrier costs microseconds, and the batchnorm reductions ran 2.7x faster serial there, while
 * lavapipe ran them 1.5x slower (bench/NOTES.md). So the autotuner measures it per adapter
 * (reduction_autotune.ts); 'tree' until then.
 */
export type ReductionStyle = 'tree' | 'serial';

/** Whether `value` names a reduction style (for the settings that force one). */
export function isReductionStyle(value: unknown): value is ReductionStyle {
  return value === 'tree' || value === 'serial';
}

const reductionStyles = new WeakMap<object, ReductionStyle>();

export function setReductionStyle(ctx: object, style: ReductionStyle): void {
  reductionStyles.set(ctx, style);
}

export function getReductionStyle(ctx: object): ReductionStyle {
  return reductionStyles.get(ctx) ?? 'tree';
}

/**
 * The reduction snippet for a workgroup over `values` numbers, in the context's style: the tree with
 * REDUCE_THREADS sized to the values, or the serial form with REDUCE_THREADS = 1.
 */
export function workgroupReduce(ctx: object, values: number): string {
  if (getReductionStyle(ctx) === 'serial') return `${constants({ REDUCE_THREADS: 1 })}\n${serialReduceSource}`;
  return `${constants({ REDUCE_THREADS: reductionThreads(values) })}\n${reduceSource}`;
}
