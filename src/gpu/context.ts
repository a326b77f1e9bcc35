// The one place that talks to a GPUDevice: pipelines, buffers, dispatches, read-back and GPU timing.
// Everything above it (kernels, model, Grad-CAM) is the same code in Node and in the browser; only the
// `GPU` object handed to `createGpuContext` differs (Dawn's in Node, `navigator.gpu` in a page).
import { WgcamError } from '../errors.ts';
import { priorConfig, type KernelConfig } from '../kernels/config.ts';
import { BufferPool } from './pool.ts';
import { Tensor, type DType, numel } from './tensor.ts';
import { UniformArena, type UniformSlot } from './uniform_arena.ts';
import { dealWarmUps, warmUpByDispatch, type WarmUpEntry } from './dispatch_warmup.ts';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU implementations (lavapipe, SwiftShader, WARP): their timings say little about a GPU. */
  software: boolean;
}

export interface GpuContextOptions {
  powerPreference?: GPUPowerPreference;
  /** Record a GPU timestamp pair around every dispatch (needs 'timestamp-query'). */
  profile?: boolean;
  /** Features to ask for beside timestamp-query and shader-f16, where the adapter has them. */
  optionalFeatures?: GPUFeatureName[];
}

/**
 * The pipelines a context has compiled, and the wall clock its thread spent waiting on them: a software adapter
 * compiles each variant through its shader compiler unless its own shader cache holds it. `ahead` counts those
 * compiled by `compileAhead` (in parallel, before the job's first dispatch), whose wall clock is `aheadMs`.
 */
export interface PipelineStats {
  count: number;
  /** Wall clock of the compiles made on demand (createComputePipeline), in ms. */
  compileMs: number;
  /** The slowest compile on demand, and its kernel. */
  slowestMs: number;
  slowestLabel: string;
  ahead: number;
  aheadMs: number;
}

/** One recorded kernel time, from timestamp-query when available. */
export interface KernelTiming {
  label: string;
  ms: number;
}

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|software|warp|basic render/i;

export async function createGpuContext(gpu: GPU, options: GpuContextOptions = {}): Promise<GpuContext> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WgcamError(
      'NO_ADAPTER',
      'no WebGPU adapter found: install a Vulkan driver (Debian: apt-get install -t bookworm-backports mesa-vulkan-drivers) or use a WebGPU-enabled browser',
    );
  }
  // The defaults are small (128 MiB per storage binding, 256 MiB per buffer): ask for what the adapter has.
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
  const wanted: GPUFeatureName[] = ['timestamp-query', 'shader-f16', ...(options.optionalFeatures ?? [])];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const describe = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ');
  const description: AdapterDescription = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description || describe || 'unknown adapter',
    software: SOFTWARE_PATTERN.test(describe) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
  return new GpuContext(device, description, options);
}

interface Binding {
  buffer: GPUBuffer;
  /** A range of the buffer (a uniform slot); the whole buffer when absent. */
  offset?: number;
  size?: number;
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly hasTimestamps: boolean;
  readonly hasF16: boolean;
  readonly pool: BufferPool;
  /**
   * The kernels' choices on this device (kernels/config.ts): the adapter class's priors until the tuner or the
   * user's settings replace them (`configureKernels`).
   */
  kernels: KernelConfig;
  /** Resolves when the device is lost (destroyed or crashed). */
  readonly lost: Promise<GPUDeviceLostInfo>;
  isLost = false;
  private gpuError: string | null = null;

  private encoder: GPUCommandEncoder | null = null;
  /** The compute pass that dispatches share while not profiling; closed by a copy or a submit. */
  private openPass: GPUComputePassEncoder | null = null;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Each cached pipeline's kernel label, by source. */
  private readonly pipelineLabels = new Map<string, string>();
  /** While `compileAhead` records a job: the pipelines it asks for, by source, and no GPU work done. */
  private recording: Rehearsal | null = null;
  private readonly stats: PipelineStats = { count: 0, compileMs: 0, slowestMs: 0, slowestLabel: '', ahead: 0, aheadMs: 0 };
  private readonly destroyHooks: Array<() => void> = [];
  /** Uniform parameters of the commands not yet submitted (uploaded at submit, dropped after it). */
  private readonly uniforms: UniformArena;
  private profiling: boolean;
  private querySet: GPUQuerySet | null = null;
  private queryLabels: string[] = [];
  private readonly queryCapacity = 4096;
  private timings: KernelTiming[] = [];
  private dummyBuffer: GPUBuffer | null = null;

  constructor(device: GPUDevice, adapter: AdapterDescription, options: GpuContextOptions = {}) {
    this.device = device;
    this.adapter = adapter;
    this.hasTimestamps = device.features.has('timestamp-query');
    this.hasF16 = device.features.has('shader-f16');
    this.pool = new BufferPool(device);
    this.kernels = priorConfig(adapter);
    this.uniforms = new UniformArena(device);
    this.profiling = false;
    // A validation error (a kernel that fails to compile, a bad binding) must never pass silently as a wrong
    // answer: the first one is kept and the next read-back throws it.
    device.addEventListener('uncapturederror', (event) => {
      this.gpuError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
    this.lost = device.lost.then((info) => {
      this.isLost = true;
      return info;
    });
    if (options.profile) this.setProfiling(true);
  }

  /** A 16-byte buffer bound where a kernel variant does not read a binding (layout 'auto' still wants one). */
  get dummy(): GPUBuffer {
    this.dummyBuffer ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: 'unused binding' });
    return this.dummyBuffer;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  // ---- tensors -------------------------------------------------------------------------------------------

  /** An uninitialised tensor from the pool. Its contents are whatever the last user left. */
  empty(shape: readonly number[], dtype: DType = 'f32', label = ''): Tensor {
    const bytes = Math.max(4, numel(shape) * 4);
    if (bytes > this.device.limits.maxStorageBufferBindingSize) {
      throw new WgcamError(
        'TENSOR_TOO_LARGE',
        `a ${dtype} tensor of shape [${shape.join(',')}] (${(bytes / 2 ** 20).toFixed(0)} MiB) exceeds this device's storage binding limit of ${(this.device.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB: use a smaller batch or image`,
      );
    }
    return new Tensor(this, this.pool.acquire(bytes, label), shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType = 'f32', label = ''): Tensor {
    const t = this.empty(shape, dtype, label);
    this.commandEncoder().clearBuffer(t.buffer, 0, t.byteLength);
    return t;
  }

  upload(data: Float32Array | Uint32Array | Int32Array, shape: readonly number[], dtype?: DType, label = ''): Tensor {
    const kind: DType = dtype ?? (data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'u32');
    if (data.length !== numel(shape)) {
      throw new Error(`upload: ${data.length} values for shape [${shape.join(',')}]`);
    }
    const t = this.empty(shape, kind, label);
    if (this.recording) return t;
    // Writes go through the queue; pending encoded work must go first so that reused pool buffers are not
    // overwritten before earlier commands read them.
    this.flush();
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  /** Copy a tensor back to the CPU. Flushes pending work. */
  async read(t: Tensor): Promise<Float32Array> {
    const raw = await this.readBytes(t.buffer, t.byteLength);
    return new Float32Array(raw);
  }

  /**
   * Copy several tensors back with one submit and one map (per `maxBufferSize` of them), in order. Each read
   * is a round trip to the GPU, which a train step's 270 gradients and statistics would pay one by one
   * (bench/NOTES.md, "Reading many tensors back in one round trip").
   */
  async readMany(ts: readonly Tensor[]): Promise<Float32Array[]> {
    for (const t of ts) if (t.byteLength % 4 !== 0) throw new Error(`readMany: ${t.byteLength} bytes is not whole f32 values`);
    return (await this.readRanges(ts)).map((bytes) => new Float32Array(bytes));
  }

  async readU32(t: Tensor): Promise<Uint32Array> {
    return new Uint32Array(await this.readBytes(t.buffer, t.byteLength));
  }

  async readBytes(buffer: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
    return (await this.readRanges([{ buffer, byteLength }]))[0]!;
  }

  /**
   * The first `byteLength` bytes of each buffer, through staging buffers of at most `maxBufferSize`: one submit
   * and one map per staging buffer. Copies are whole 4-byte words (WebGPU's rule), so a buffer holds at least
   * its byte length rounded up to 4, as the pool's do.
   */
  private async readRanges(sources: readonly { buffer: GPUBuffer; byteLength: number }[]): Promise<ArrayBuffer[]> {
    if (this.recording) return sources.map(({ byteLength }) => new ArrayBuffer(byteLength));
    const out: ArrayBuffer[] = [];
    const words = (bytes: number) => Math.ceil(bytes / 4) * 4;
    const limit = this.device.limits.maxBufferSize;
    let start = 0;
    while (start < sources.length) {
      // A group that fits one staging buffer; one source is never larger than a buffer.
      let bytes = 0;
      let end = start;
      while (end < sources.length && (end === start || bytes + words(sources[end]!.byteLength) <= limit)) bytes += words(sources[end++]!.byteLength);
      const group = sources.slice(start, end);
      const staging = this.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
      try {
        const encoder = this.commandEncoder();
        let offset = 0;
        for (const { buffer, byteLength } of group) {
          if (byteLength > 0) encoder.copyBufferToBuffer(buffer, 0, staging, offset, words(byteLength));
          offset += words(byteLength);
        }
        this.flush();
        await this.mapOrThrow(staging);
        const all = staging.getMappedRange();
        offset = 0;
        for (const { byteLength } of group) {
          out.push(all.slice(offset, offset + byteLength));
          offset += words(byteLength);
        }
      } finally {
        staging.destroy();
      }
      start = end;
    }
    return out;
  }

  private async mapOrThrow(staging: GPUBuffer): Promise<void> {
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      if (this.isLost) throw deviceLostError();
      throw e;
    }
    if (this.isLost) throw deviceLostError();
    this.throwIfGpuError();
  }

  private throwIfGpuError(): void {
    if (this.gpuError === null) return;
    const message = this.gpuError.split('\n')[0];
    this.gpuError = null;
    throw new Error(`WebGPU validation error: ${message}`);
  }

  // ---- pipelines and dispatch ----------------------------------------------------------------------------

  /** Compiled once per distinct WGSL source (the source includes its specialisation constants). */
  pipeline(code: string, label: string): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (!p && this.recording) {
      let entry = this.recording.pipelines.get(code);
      if (!entry) {
        entry = { code, label, placeholder: {} as GPUComputePipeline, bindings: null };
        this.recording.pipelines.set(code, entry);
        this.recording.byPlaceholder.set(entry.placeholder, entry);
      }
      return entry.placeholder;
    }
    if (!p) {
      const started = performance.now();
      const module = this.device.createShaderModule({ code, label });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(code, p);
      this.pipelineLabels.set(code, label);
      const ms = performance.now() - started;
      this.stats.count++;
      this.stats.compileMs += ms;
      if (ms > this.stats.slowestMs) {
        this.stats.slowestMs = ms;
        this.stats.slowestLabel = label;
      }
    }
    return p;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /**
   * Run `encode` as a rehearsal and return the pipelines it asked for, each with the bindings of its first
   * dispatch (a uniform's bytes, or null for a storage buffer), for warm-up dispatches (gpu/dispatch_warmup.ts).
   * Its kernels assemble their shaders and ask for pipelines, but nothing is compiled, dispatched, copied or
   * submitted, and reads return zeros at once; so it must be a job whose kernels do not depend on the values it
   * reads (the shapes, not the data, decide them). The rehearsal ends when `encode`'s promise settles, within
   * microtasks: nothing else may use the context until then.
   */
  async rehearse(encode: () => Promise<unknown>): Promise<RecordedPipeline[]> {
    if (this.recording) throw new Error('rehearse: a rehearsal is already recording');
    this.flush(); // work encoded before the rehearsal goes to the GPU; the rehearsal's own is dropped
    const rehearsal: Rehearsal = { pipelines: new Map(), byPlaceholder: new Map(), uniformBytes: new Map() };
    this.recording = rehearsal;
    try {
      await encode();
    } finally {
      this.recording = null;
      this.encoder = null; // the rehearsal's copies and clears are never submitted
      this.openPass = null;
      this.uniforms.release();
    }
    return [...rehearsal.pipelines.values()];
  }

  /**
   * Compile every pipeline `encode` would use (a rehearsal: `rehearse`), in parallel
   * (createComputePipelineAsync), before any of it runs. Returns the compiles' promise, which settles when every
   * new pipeline is in the cache; on-demand compiles of the same sources are not started while it is pending
   * only if callers wait for it (the session's jobs do).
   */
  async compileAhead(encode: () => Promise<unknown>, options: CompileAheadOptions = {}): Promise<{ pipelines: number; compiled: Promise<void> }> {
    const recorded = await this.rehearse(encode);
    const started = performance.now();
    const compiles = recorded.map(async ({ code, label }) => {
      const module = this.device.createShaderModule({ code, label });
      const p = await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
      if (!this.pipelines.has(code)) {
        this.pipelines.set(code, p);
        this.pipelineLabels.set(code, label);
        this.stats.ahead++;
      }
    });
    let work: Promise<unknown> = Promise.all(compiles);
    // Drivers that compile at the first dispatch: one warm-up dispatch of each pipeline, half on this device and
    // half on a helper device, in parallel (dispatch_warmup.ts).
    const warmUps = warmUpEntries(recorded);
    if (this.kernels.compileAhead === 'dispatch' && options.helper && warmUps.length > 0) {
      const [mine, theirs] = dealWarmUps(warmUps, 2) as [WarmUpEntry[], WarmUpEntry[]];
      const helper = options.helper;
      // Destroying this context (a failed job, the end of a command) stops the warm-ups: the helper goes too.
      let other: GpuContext | null = null;
      let cancelled = false;
      this.onDestroy(() => {
        cancelled = true;
        other?.destroy();
      });
      const onHelper = (async () => {
        const made = await helper();
        if (cancelled) return made.destroy();
        other = made;
        try {
          await warmUpByDispatch(made.device, theirs);
        } finally {
          other = null;
          made.destroy();
        }
      })();
      const onThis = work.then(() => (cancelled ? undefined : warmUpByDispatch(this.device, mine, this.pipelines)));
      // A failed helper only costs its half's compiles, which the job then makes itself.
      work = Promise.all([onThis, onHelper.catch(() => undefined)]);
    }
    const compiled = work.then(() => {
      this.stats.aheadMs += performance.now() - started;
    });
    compiled.catch(() => undefined); // the caller's await sees a failure; an unawaited one must not crash Node
    return { pipelines: recorded.length, compiled };
  }

  /** How many variants of each kernel (by label) the cache holds, most first. */
  pipelineVariants(): Array<[string, number]> {
    const counts = new Map<string, number>();
    for (const label of this.pipelineLabels.values()) counts.set(label, (counts.get(label) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }

  /** How many pipelines this context compiled, and how long they took (a copy). */
  get pipelineStats(): PipelineStats {
    return { ...this.stats };
  }

  /** A uniform binding holding `data`, for a dispatch before the next submit (a slot of a shared buffer). */
  uniform(data: ArrayBuffer | ArrayBufferView): UniformSlot {
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    const slot = this.uniforms.allocate(bytes);
    this.recording?.uniformBytes.set(slot, bytes.slice());
    return slot;
  }

  /**
   * Record one compute dispatch. `bindings` are bound in order to @binding(0..n-1) of @group(0); a `null` is a
   * number the kernel does not declare (a shared snippet's bindings come after the kernel's own).
   * `workgroups` may exceed the per-dimension limit in x: it is folded into y (kernels use `flatWorkgroupId`).
   */
  dispatch(pipeline: GPUComputePipeline, bindings: Array<GPUBuffer | Tensor | Binding | null>, workgroups: readonly [number, number?, number?], label: string): void {
    // Checked here, not only when an encoder is made: the shared pass may outlive the device.
    if (this.isLost) throw deviceLostError();
    if (this.recording) {
      // The first dispatch of each recorded pipeline: its uniforms, for a warm-up dispatch (compileAhead).
      const entry = this.recording.byPlaceholder.get(pipeline);
      const uniformBytes = this.recording.uniformBytes;
      if (entry && entry.bindings === null) entry.bindings = bindings.map((b) => (b === null ? 'absent' : b instanceof Tensor || !('buffer' in b) ? null : (uniformBytes.get(b as UniformSlot) ?? null)));
      return;
    }
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((b, i) => {
      if (b === null) return;
      const resource = b instanceof Tensor ? { buffer: b.buffer } : 'buffer' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b };
      entries.push({ binding: i, resource });
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label });
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    let gx = x;
    let gy = y;
    if (gx > max) {
      // Fold x into a 2-D grid; kernels recover the flat index and skip the overhang.
      if (gy !== 1) throw new Error(`dispatch ${label}: ${x}x${y} workgroups exceed the limit`);
      gy = Math.ceil(gx / max);
      gx = Math.ceil(gx / gy);
    }
    const querySet = this.profiling && this.queryLabels.length * 2 + 2 <= this.queryCapacity ? this.querySet : null;
    let pass: GPUComputePassEncoder;
    if (querySet) {
      // Profiling: a pass of its own, whose timestamps bracket this one dispatch.
      const index = this.queryLabels.length * 2;
      this.queryLabels.push(label);
      const timestampWrites = { querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 };
      pass = this.commandEncoder().beginComputePass({ label, timestampWrites });
    } else {
      // Otherwise every dispatch until the next copy or submit shares one pass (WebGPU orders the dispatches of
      // a pass as it orders passes): a pass per dispatch cost CPU time in encoding that a GPU waits through.
      pass = this.openPass ??= this.rawEncoder().beginComputePass({ label: 'kernels' });
    }
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, z);
    if (querySet) pass.end();
  }

  /** The command encoder for commands other than dispatches (copies): the shared compute pass is closed first. */
  commandEncoder(): GPUCommandEncoder {
    this.endPass();
    return this.rawEncoder();
  }

  private rawEncoder(): GPUCommandEncoder {
    if (this.isLost) throw deviceLostError();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    this.openPass?.end();
    this.openPass = null;
  }

  /** Submit recorded work. */
  flush(): void {
    if (this.recording) return;
    if (!this.encoder) return;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = null;
    this.uniforms.upload(this.device.queue);
    this.device.queue.submit([encoder.finish()]);
    this.uniforms.release();
    this.pool.afterSubmit();
  }

  /** Wait until the GPU has finished everything submitted so far. */
  async sync(): Promise<void> {
    if (this.recording) return;
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    if (this.isLost) throw deviceLostError();
    this.throwIfGpuError();
  }

  // ---- profiling -----------------------------------------------------------------------------------------

  /** Start recording per-dispatch GPU times (timestamp-query). Returns false when the adapter lacks it. */
  setProfiling(on: boolean): boolean {
    if (on && !this.hasTimestamps) return false;
    this.profiling = on;
    if (on && !this.querySet) {
      this.querySet = this.device.createQuerySet({ type: 'timestamp', count: this.queryCapacity });
    }
    return true;
  }

  get profilingEnabled(): boolean {
    return this.profiling;
  }

  /** Resolve the timestamps recorded since the last call; returns one entry per dispatch, in order. */
  async collectTimings(): Promise<KernelTiming[]> {
    if (!this.querySet || this.queryLabels.length === 0) return [];
    const count = this.queryLabels.length * 2;
    const resolve = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const labels = this.queryLabels;
    this.queryLabels = [];
    try {
      this.commandEncoder().resolveQuerySet(this.querySet, 0, count, resolve, 0);
      const raw = new BigInt64Array(await this.readBytes(resolve, count * 8));
      this.timings = labels.map((label, i) => ({ label, ms: Number(raw[2 * i + 1]! - raw[2 * i]!) / 1e6 }));
      return this.timings;
    } finally {
      resolve.destroy();
    }
  }

  // ---- lifetime ------------------------------------------------------------------------------------------

  /** Run `release` when the context is destroyed: a surface's state that lives as long as the context. */
  onDestroy(release: () => void): void {
    this.destroyHooks.push(release);
  }

  destroy(): void {
    for (const release of this.destroyHooks.splice(0)) release();
    this.encoder = null;
    this.openPass = null;
    this.uniforms.release();
    this.pool.destroy();
    this.querySet?.destroy();
    this.dummyBuffer?.destroy();
    this.pipelines.clear();
    this.pipelineLabels.clear();
    this.device.destroy();
  }
}

/** A pipeline a rehearsal asked for: `placeholder` stands for it (never bound), `bindings` from its first dispatch. */
/** The rehearsed pipelines that were dispatched, with their first dispatch's bindings: those a warm-up can run. */
export function warmUpEntries(recorded: readonly RecordedPipeline[]): Array<WarmUpEntry & RecordedPipeline> {
  return recorded.filter((e): e is WarmUpEntry & RecordedPipeline => e.bindings !== null);
}

/** A pipeline a rehearsal asked for (`GpuContext.rehearse`); `bindings` null when it was never dispatched. */
export interface RecordedPipeline {
  code: string;
  label: string;
  placeholder: GPUComputePipeline;
  bindings: Array<Uint8Array | null | 'absent'> | null;
}

interface Rehearsal {
  pipelines: Map<string, RecordedPipeline>;
  byPlaceholder: Map<GPUComputePipeline, RecordedPipeline>;
  uniformBytes: Map<UniformSlot, Uint8Array>;
}

export interface CompileAheadOptions {
  /** A second context on the same adapter, for the warm-up dispatches (KernelConfig.compileAhead 'dispatch'). */
  helper?: () => Promise<GpuContext>;
}

export function deviceLostError(): WgcamError {
  return new WgcamError('DEVICE_LOST', 'the GPU device was lost (driver reset or destroyed); retry: the next call creates a new device');
}
