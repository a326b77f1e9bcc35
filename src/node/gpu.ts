// Node entry to WebGPU: Dawn from the `webgpu` package. It only supplies the `GPU` object; everything else is
// the same code the browser runs.
import { create, globals } from 'webgpu';
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.ts';
import { configureKernels, dawnTogglesFromEnv as readDawnToggles, dawnWaitFromEnv as readDawnWait, type DawnToggleSetting, type DawnWaitSetting } from '../kernels/config.ts';
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

/**
 * The toggles ONNX Runtime's WebGPU execution provider turns on for its own Dawn, which a web page never gets:
 * - disable_robustness: no bounds clamping of storage-buffer accesses in the generated shaders (Dawn's and the
 *   Vulkan driver's robustBufferAccess); wgcam's kernels index within their bindings by construction, and the
 *   kernel tests check every output against references;
 * - skip_validation: no WebGPU validation of each call on the CPU (bindings, usages, limits);
 * - disable_workgroup_init: no zeroing of workgroup memory at the start of each workgroup (wgcam's kernels write
 *   their tiles before reading them);
 * - lazy_clear_resource_on_first_use off: buffers are not cleared on first use, which wgcam's kernels do not
 *   need (every output is written whole, accumulators are cleared explicitly).
 * With them, contexts also ask for `subgroups` where the adapter has it. WGCAM_DAWN_TOGGLES chooses
 * (`dawnTogglesFromEnv`): by default on for hardware adapters, off for software ones (bench/NOTES.md, "Dawn's
 * toggles in Node"). Browsers keep their defaults: a page cannot set them.
 */
export const DAWN_SPEED_TOGGLES = {
  enable: ['disable_robustness', 'skip_validation', 'disable_workgroup_init'],
  disable: ['lazy_clear_resource_on_first_use'],
} as const;
/** Features asked for with the toggles, where the adapter has them. */
const SPEED_FEATURES: GPUFeatureName[] = ['subgroups' as GPUFeatureName];

/** The flags of `create()` with or without the speed toggles (one entry per key: the binding keeps the last). */
export function dawnOptions(speedToggles: boolean): string[] {
  if (!speedToggles) return DAWN_OPTIONS;
  return [
    `disable-dawn-features=timestamp_quantization,${DAWN_SPEED_TOGGLES.disable.join(',')}`,
    `enable-dawn-features=vulkan_enable_f16_on_nvidia,${DAWN_SPEED_TOGGLES.enable.join(',')}`,
  ];
}

// Dawn's instances must stay reachable while GPU work runs: if one is garbage-collected, pending work dies. The
// binding reads its flags when it creates a device, from the instance, so each setting has an instance.
const instances = new Map<boolean, GPU>();
/** Which instance the last context took: the one nodeGpu() hands out by default (the TF.js peer shares it). */
let lastSpeedToggles = false;
/** Whether each context's device was made with the speed toggles. */
const contextToggles = new WeakMap<GpuContext, boolean>();
/** LP_NUM_THREADS as Dawn's drivers saw it (lavapipe_threads.ts); null before the first nodeGpu(). */
let lavapipeThreadsInForce: ReturnType<typeof oversubscribeLavapipe> | null = null;

/** One line for `wgcam info` and bench reports: which of Dawn's toggles this context's device has. */
export function describeDawnToggles(ctx: GpuContext): string {
  const on = contextToggles.get(ctx) === true;
  const setting = dawnTogglesFromEnv();
  const subgroups = ctx.device.features.has('subgroups' as GPUFeatureName) ? ', subgroups' : '';
  return on
    ? `Dawn toggles: ${DAWN_SPEED_TOGGLES.enable.join(', ')} on, ${DAWN_SPEED_TOGGLES.disable.join(', ')} off${subgroups} (WGCAM_DAWN_TOGGLES=${setting})`
    : `Dawn toggles: defaults (WGCAM_DAWN_TOGGLES=${setting}${setting === 'auto' ? ': speed toggles on hardware adapters only' : ''})`;
}

/** What about Node's runtime shapes this context's timings, one line each: how it waits, Dawn's toggles, lavapipe's threads. */
export function runtimeNotes(ctx: GpuContext): string[] {
  const lavapipe = /llvmpipe|lavapipe/i.test(ctx.adapter.description);
  return [describeDawnWait(), describeDawnToggles(ctx), ...(lavapipe && lavapipeThreadsInForce ? [describeLavapipeThreads(lavapipeThreadsInForce)] : [])];
}

/** Dawn's GPU object; by default the instance the last Node context was made on. */
export function nodeGpu(speedToggles: boolean = lastSpeedToggles): GPU {
  let gpu = instances.get(speedToggles);
  if (!gpu) {
    if (instances.size === 0) {
      // GPUBufferUsage, GPUMapMode and friends are globals in browsers; Dawn hands them over separately.
      Object.assign(globalThis, globals);
      lavapipeThreadsInForce = oversubscribeLavapipe();
    }
    gpu = create(dawnOptions(speedToggles)) as GPU;
    instances.set(speedToggles, gpu);
  }
  return gpu;
}

export interface NodeGpuContextOptions extends GpuContextOptions {
  /**
   * How waits for the GPU use the JS thread (dawn_pacing.ts): 'auto' (default; WGCAM_DAWN_WAIT overrides it)
   * paces Dawn's ticks on software adapters, whose threads need every core, and lets them spin on a GPU.
   */
  dawnWait?: DawnWaitSetting;
  /** Dawn's speed toggles (DAWN_SPEED_TOGGLES): 'auto' (default; WGCAM_DAWN_TOGGLES overrides it) on hardware adapters only. */
  dawnToggles?: DawnToggleSetting;
}

/** WGCAM_DAWN_WAIT, read through kernels/config.ts, where every setting is declared. */
export function dawnWaitFromEnv(env: Record<string, string | undefined> = process.env): DawnWaitSetting {
  return readDawnWait(env);
}

/** WGCAM_DAWN_TOGGLES, read through kernels/config.ts, where every setting is declared. */
export function dawnTogglesFromEnv(env: Record<string, string | undefined> = process.env): DawnToggleSetting {
  return readDawnToggles(env);
}

export async function createNodeGpuContext(options: NodeGpuContextOptions = {}): Promise<GpuContext> {
  const wait = options.dawnWait ?? dawnWaitFromEnv();
  const toggles = options.dawnToggles ?? dawnTogglesFromEnv();
  const withToggles = (on: boolean) => createGpuContext(nodeGpu(on), on ? { ...options, optionalFeatures: [...(options.optionalFeatures ?? []), ...SPEED_FEATURES] } : options);
  let on = toggles === 'on';
  let ctx = await withToggles(on);
  // 'auto': the adapter's kind is known once it is found; a hardware adapter's device is made again with them.
  if (toggles === 'auto' && !ctx.adapter.software) {
    ctx.destroy();
    on = true;
    ctx = await withToggles(on);
  }
  lastSpeedToggles = on;
  contextToggles.set(ctx, on);
  // The toggles drop the robust buffer access that warm-up dispatches on small buffers rely on (gpu/dispatch_warmup.ts).
  if (on && ctx.kernels.compileAhead === 'dispatch') configureKernels(ctx, { compileAhead: 'create' });
  if (pacesDawnTicks(wait, ctx.adapter.software)) ctx.onDestroy(paceDawnTicks());
  return ctx;
}
