// Dawn's speed toggles in Node (src/node/gpu.ts): WGCAM_DAWN_TOGGLES's parsing, the flags handed to Dawn, and a
// context made with them really running without WebGPU's validation (an unaligned buffer copy, which Vulkan
// allows and WebGPU refuses, passes) while computing the same results.
import { describe, expect, test } from 'vitest';
import { DAWN_OPTIONS, DAWN_SPEED_TOGGLES, createNodeGpuContext, dawnOptions, dawnTogglesFromEnv, runtimeNotes } from '../src/node/gpu.ts';
import type { GpuContext } from '../src/gpu/context.ts';

/** Whether WebGPU's validation refuses a 3-byte buffer copy on this context's device. */
async function unalignedCopyRefused(ctx: GpuContext): Promise<boolean> {
  const device = ctx.device;
  const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const a = device.createBuffer({ size: 16, usage });
  const b = device.createBuffer({ size: 16, usage });
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(a, 0, b, 0, 3);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  await device.queue.onSubmittedWorkDone();
  a.destroy();
  b.destroy();
  return error !== null;
}

/** A small sum on the GPU through the context's own upload, kernels and read-back. */
async function roundTrip(ctx: GpuContext): Promise<number[]> {
  const t = ctx.upload(Float32Array.from([1, -2, 3.5, 4]), [4], 'f32', 'toggles test');
  try {
    return Array.from(await ctx.read(t));
  } finally {
    t.release();
  }
}

describe('Dawn speed toggles', () => {
  test('WGCAM_DAWN_TOGGLES: auto by default, on or off, anything else refused in one line', () => {
    expect(dawnTogglesFromEnv({})).toBe('auto');
    expect(dawnTogglesFromEnv({ WGCAM_DAWN_TOGGLES: '' })).toBe('auto');
    expect(dawnTogglesFromEnv({ WGCAM_DAWN_TOGGLES: 'on' })).toBe('on');
    expect(dawnTogglesFromEnv({ WGCAM_DAWN_TOGGLES: 'off' })).toBe('off');
    expect(() => dawnTogglesFromEnv({ WGCAM_DAWN_TOGGLES: 'fast' })).toThrow(/^WGCAM_DAWN_TOGGLES=fast is not a setting: use one of auto, on, off$/);
  });

  test('the flags: one entry per key, the defaults kept beside the speed toggles', () => {
    expect(dawnOptions(false)).toEqual(DAWN_OPTIONS);
    const on = dawnOptions(true);
    expect(on).toHaveLength(2);
    expect(on[0]).toBe('disable-dawn-features=timestamp_quantization,lazy_clear_resource_on_first_use');
    expect(on[1]).toBe('enable-dawn-features=vulkan_enable_f16_on_nvidia,disable_robustness,skip_validation,disable_workgroup_init');
    expect(DAWN_SPEED_TOGGLES.enable).toEqual(['disable_robustness', 'skip_validation', 'disable_workgroup_init']);
  });

  test('a context made with them skips validation and computes the same; without them validation stays', async () => {
    const off = await createNodeGpuContext({ dawnToggles: 'off' });
    try {
      expect(await unalignedCopyRefused(off)).toBe(true);
      expect(runtimeNotes(off)).toContainEqual(expect.stringMatching(/^Dawn toggles: defaults /));
      expect(await roundTrip(off)).toEqual([1, -2, 3.5, 4]);
    } finally {
      off.destroy();
    }
    const on = await createNodeGpuContext({ dawnToggles: 'on' });
    try {
      expect(await unalignedCopyRefused(on)).toBe(false);
      expect(runtimeNotes(on)).toContainEqual(expect.stringMatching(/^Dawn toggles: disable_robustness, skip_validation, disable_workgroup_init on, lazy_clear_resource_on_first_use off/));
      expect(await roundTrip(on)).toEqual([1, -2, 3.5, 4]);
    } finally {
      on.destroy();
    }
  });
});
