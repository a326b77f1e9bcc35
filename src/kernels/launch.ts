// The common launch shape of elementwise kernels: 256 threads per workgroup, one element per thread, a
// uniform `count` first. Kept in one place so every wrapper stays a few lines.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { groups1d, params } from './wgsl.ts';

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
