// Node entry to WebGPU: Dawn from the `webgpu` package. It only supplies the `GPU` object; everything else is
// the same code the browser runs.
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.ts';
import { dawnWaitFromEnv as readDawnWait, type DawnWaitSetting } from '../kernels/config.ts';
import { describeDawnWait, paceDawnTicks, pacesDawnTicks } from './software/dawn_pacing.ts';
import { describeLavapipeThreads, oversubscribeLavapipe } from './software/lavapipe_threads.ts';

/**
 * Dawn's switches for a tool that measures itself and runs on the machine's own GPU, not a web page:
 * - timestamp_quantization off: Dawn rounds timestamps down to 2^16 ns (65.5 us) against timing attacks, which
 *   turns every kernel time on a GPU, and the tuners' choices, into a multiple of 65.5 us.
 * - vulkan_enable_f16_on_nvidia: Dawn hides shader-f16 on NVIDIA's Vulkan driver because of conformance failures
 *   (crbug.com/42251215). wgcam compiles f16 shaders only for `precision: 'f16'`, which a user asks for, and
 *   test/precision_f16.test.ts checks that path exactly against a CPU f16 rounding (it passed on an H200).
 */
export const DAWN_OPTIONS = ['disable-dawn-features=timestamp_quantization', 'enable-dawn-features=vulkan_enable_f16_on_nvidia'];

// Dawn's instance must stay reachable while GPU work runs: if it is garbage-collected, pending work dies.
let dawn: GPU | null = null;
/** LP_NUM_THREADS as Dawn's drivers saw it (lavapipe_threads.ts); null before the first nodeGpu(). */
let lavapipeThreadsInForce: ReturnType<typeof oversubscribeLavapipe> | null = null;

/** What about Node's runtime shapes this context's timings, one line each: how it waits, lavapipe's threads. */
export function runtimeNotes(ctx: GpuContext): string[] {
  const lavapipe = /llvmpipe|lavapipe/i.test(ctx.adapter.description);
  return [describeDawnWait(), ...(lavapipe && lavapipeThreadsInForce ? [describeLavapipeThreads(lavapipeThreadsInForce)] : [])];
}

export function nodeGpu(): GPU {
  if (!dawn) {
    // GPUBufferUsage, GPUMapMode and friends are globals in browsers; Dawn hands them over separately.
    Object.assign(globalThis, globals);
    lavapipeThreadsInForce = oversubscribeLavapipe();
    dawn = create(DAWN_OPTIONS) as GPU;
  }
  return dawn;
}

export interface NodeGpuContextOptions extends GpuContextOptions {
  /**
   * How waits for the GPU use the JS thread (dawn_pacing.ts): 'auto' (default; WGCAM_DAWN_WAIT overrides it)
   * paces Dawn's ticks on software adapters, whose threads need every core, and lets them spin on a GPU.
   */
  dawnWait?: DawnWaitSetting;
}

/** WGCAM_DAWN_WAIT, read through kernels/config.ts, where every setting is declared. */
export function dawnWaitFromEnv(env: Record<string, string | undefined> = process.env): DawnWaitSetting {
  return readDawnWait(env);
}

export async function createNodeGpuContext(options: NodeGpuContextOptions = {}): Promise<GpuContext> {
  const wait = options.dawnWait ?? dawnWaitFromEnv();
  const ctx = await createGpuContext(nodeGpu(), options);
  if (pacesDawnTicks(wait, ctx.adapter.software)) ctx.onDestroy(paceDawnTicks());
  return ctx;
}
