// The uniform parameters of the commands not yet submitted, packed into shared buffers: one createBuffer per
// 64 KiB of parameters instead of one per dispatch, whose cost is CPU time in which a GPU sits idle (bench/NOTES.md,
// "CPU-side encoding"). The slots are uploaded with one writeBuffer per buffer just before the submit that reads them.

export interface UniformSlot {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

interface Arena {
  buffer: GPUBuffer;
  staging: Uint8Array<ArrayBuffer>;
  used: number;
}

export class UniformArena {
  private arenas: Arena[] = [];
  /** Read once: Dawn's `limits` getter builds a new object on every access. */
  private readonly align: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 64 * 1024,
  ) {
    this.align = device.limits.minUniformBufferOffsetAlignment;
  }

  /** A slot holding `bytes` (padded to 16), at an offset the device accepts for a uniform binding. */
  allocate(bytes: Uint8Array): UniformSlot {
    const align = this.align;
    const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
    let arena = this.arenas[this.arenas.length - 1];
    let offset = arena === undefined ? 0 : Math.ceil(arena.used / align) * align;
    if (arena === undefined || offset + size > arena.staging.byteLength) {
      const capacity = Math.max(this.capacity, size);
      const buffer = this.device.createBuffer({ size: capacity, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'params' });
      arena = { buffer, staging: new Uint8Array(capacity), used: 0 };
      this.arenas.push(arena);
      offset = 0;
    }
    arena.staging.set(bytes, offset);
    arena.used = offset + size;
    return { buffer: arena.buffer, offset, size };
  }

  /** Write every slot handed out since the last `release` to its buffer: call right before the submit. */
  upload(queue: GPUQueue): void {
    for (const a of this.arenas) queue.writeBuffer(a.buffer, 0, a.staging, 0, a.used);
  }

  /** After the submit: drop the buffers (the GPU keeps them until that work is done); new slots get new ones. */
  release(): void {
    for (const a of this.arenas) a.buffer.destroy();
    this.arenas = [];
  }
}
