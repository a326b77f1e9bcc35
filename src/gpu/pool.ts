// Storage buffers are recycled by exact byte size: ResNet50 asks for the same few dozen sizes on every pass,
// so after the first pass no buffer is created. `liveBytes` counts what callers hold (not what the pool keeps),
// which is the figure the leak tests watch.
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  private live = 0;
  private pooled = 0;
  /** Over-budget buffers: destroyed at the next flush, since encoded but unsubmitted work may still use them. */
  private retired: GPUBuffer[] = [];
  /** Pooled bytes above this are destroyed instead of kept. */
  maxPooledBytes = 1.5 * 2 ** 30;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, label = ''): GPUBuffer {
    const size = Math.ceil(bytes / 16) * 16;
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.pooled -= size;
    } else {
      buffer = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        label,
      });
      this.sizes.set(buffer, size);
    }
    this.live += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = this.sizes.get(buffer);
    if (size === undefined) throw new Error('BufferPool.release: buffer not from this pool');
    this.live -= size;
    if (this.pooled + size > this.maxPooledBytes) {
      this.retired.push(buffer);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.pooled += size;
  }

  /** Bytes held by live tensors. */
  get liveBytes(): number {
    return this.live;
  }

  get pooledBytes(): number {
    return this.pooled;
  }

  /** Called by the context right after a submit: retired buffers can go now (the GPU keeps them until done). */
  afterSubmit(): void {
    for (const b of this.retired) b.destroy();
    this.retired = [];
  }

  /** Destroy the idle buffers. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
  }

  destroy(): void {
    this.afterSubmit();
    this.trim();
  }
}
