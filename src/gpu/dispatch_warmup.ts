// Compiling ahead on drivers that compile a pipeline's machine code at its first dispatch, not when it is
// created (lavapipe: creating a pipeline only translates it; its first dispatch compiles it through LLVM, on the
// device's one queue thread, one pipeline after another). There, `createComputePipelineAsync` leaves the real
// work to the job's first dispatches. Instead each pipeline of a rehearsed job (GpuContext.compileAhead) is
// dispatched once, one workgroup on throwaway buffers, by the job's own device and by a second device of the
// same adapter, half each: two queue threads compile in parallel, and the second device's compiles reach the
// job's device through the driver's shader cache (Mesa's), as any earlier process's would.
//
// The warm-up dispatches run with the rehearsal's uniforms, so every loop is bounded as in the job, on 4 KiB
// buffers: reads and writes past their ends are clamped or dropped by the robust buffer access that Dawn keeps
// on software adapters unless its speed toggles are on (then `warmUpByDispatch` is not used: see
// GpuContext.compileAhead). The results are never read.

/** One pipeline to warm up: its source and label, and per binding the uniform's bytes or null (a storage buffer). */
export interface WarmUpEntry {
  code: string;
  label: string;
  /** Per binding: a uniform's bytes, null for a storage buffer (scratch), 'absent' where the kernel declares none. */
  bindings: ReadonlyArray<Uint8Array | null | 'absent'>;
}

const SCRATCH_BYTES = 4096;

/** Split `entries` into `parts` shares of about equal cost (the longest sources first, dealt in turn). */
export function dealWarmUps(entries: readonly WarmUpEntry[], parts: number): WarmUpEntry[][] {
  const shares: WarmUpEntry[][] = Array.from({ length: parts }, () => []);
  [...entries].sort((a, b) => b.code.length - a.code.length).forEach((e, i) => shares[i % parts]!.push(e));
  return shares;
}

/** The entry's pipeline, made afresh on `device`. */
function makePipeline(device: GPUDevice, e: WarmUpEntry): GPUComputePipeline {
  return device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: e.code, label: e.label }), entryPoint: 'main' }, label: e.label });
}

/**
 * Dispatch each entry's pipeline once on `device` (`pipelines` gives those already made, by source) and wait for
 * the queue. Validation errors are caught in an error scope and dropped: a warm-up never fails a job.
 */
export async function warmUpByDispatch(device: GPUDevice, entries: readonly WarmUpEntry[], pipelines?: ReadonlyMap<string, GPUComputePipeline>): Promise<void> {
  if (entries.length === 0) return;
  const scratch: GPUBuffer[] = [];
  const uniforms: GPUBuffer[] = [];
  device.pushErrorScope('validation');
  try {
    const encoder = device.createCommandEncoder({ label: 'warm-up' });
    const pass = encoder.beginComputePass({ label: 'warm-up' });
    for (const e of entries) {
      const pipeline = pipelines?.get(e.code) ?? makePipeline(device, e);
      const entriesOfGroup: GPUBindGroupEntry[] = [];
      e.bindings.forEach((bytes, i) => {
        if (bytes === 'absent') return;
        if (bytes === null) {
          scratch[i] ??= device.createBuffer({ size: SCRATCH_BYTES, usage: GPUBufferUsage.STORAGE, label: 'warm-up scratch' });
          entriesOfGroup.push({ binding: i, resource: { buffer: scratch[i]! } });
          return;
        }
        const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
        const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true, label: 'warm-up uniform' });
        new Uint8Array(buffer.getMappedRange()).set(bytes);
        buffer.unmap();
        uniforms.push(buffer);
        entriesOfGroup.push({ binding: i, resource: { buffer, offset: 0, size: bytes.byteLength } });
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: entriesOfGroup, label: 'warm-up' }));
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
  } finally {
    void device.popErrorScope().catch(() => undefined);
  }
  try {
    await device.queue.onSubmittedWorkDone();
  } finally {
    for (const b of [...scratch, ...uniforms]) b?.destroy();
  }
}

/**
 * How long each entry's pipeline takes to compile on a driver that compiles at the first dispatch: each is made
 * afresh and dispatched alone twice, and its compile is the first dispatch's wall clock less the second's. The
 * driver's shader cache is used as it is, so with a warm cache this times loading from it. For `wgcam info
 * --verbose` and bench/experiments/pipeline_compile_times.ts.
 */
export async function timeCompilesByDispatch(device: GPUDevice, entries: readonly WarmUpEntry[]): Promise<Array<{ label: string; ms: number }>> {
  const times: Array<{ label: string; ms: number }> = [];
  for (const e of entries) {
    const made = new Map([[e.code, makePipeline(device, e)]]);
    const t0 = performance.now();
    await warmUpByDispatch(device, [e], made);
    const t1 = performance.now();
    await warmUpByDispatch(device, [e], made);
    const t2 = performance.now();
    times.push({ label: e.label, ms: Math.max(0, t1 - t0 - (t2 - t1)) });
  }
  return times;
}
