// Node entry to WebGPU: Dawn from the `webgpu` package. It only supplies the `GPU` object; everything else is
// the same code the browser runs.
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.ts';

// Dawn's instance must stay reachable while GPU work runs: if it is garbage-collected, pending work dies.
let dawn: GPU | null = null;

export function nodeGpu(): GPU {
  if (!dawn) {
    // GPUBufferUsage, GPUMapMode and friends are globals in browsers; Dawn hands them over separately.
    Object.assign(globalThis, globals);
    dawn = create([]) as GPU;
  }
  return dawn;
}

export function createNodeGpuContext(options: GpuContextOptions = {}): Promise<GpuContext> {
  return createGpuContext(nodeGpu(), options);
}
