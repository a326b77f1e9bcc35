// A GPU tensor: a storage buffer plus a PyTorch-style shape (NCHW for activations). Tensors are owned and
// reference-counted: the creator holds one reference, `retain()` adds one (e.g. the tape saving an activation
// that the forward pass also hands on), and the last `release()` returns the buffer to the context's pool.
import type { GpuContext } from './context.ts';

export type DType = 'f32' | 'u32' | 'i32';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  private buf: GPUBuffer | null;
  private refs = 1;
  private readonly ctx: GpuContext;

  constructor(ctx: GpuContext, buffer: GPUBuffer, shape: readonly number[], dtype: DType) {
    this.ctx = ctx;
    this.buf = buffer;
    this.shape = [...shape];
    this.dtype = dtype;
  }

  get buffer(): GPUBuffer {
    if (!this.buf) throw new Error('tensor used after release()');
    return this.buf;
  }

  get size(): number {
    return numel(this.shape);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get released(): boolean {
    return this.buf === null;
  }

  /** Same buffer, another shape with as many elements (like torch's view on a contiguous tensor). */
  view(shape: readonly number[]): TensorView {
    if (numel(shape) !== this.size) throw new Error(`view [${shape.join(',')}] of tensor [${this.shape.join(',')}]`);
    return { buffer: this.buffer, shape, dtype: this.dtype, size: this.size };
  }

  read(): Promise<Float32Array> {
    return this.ctx.read(this);
  }

  retain(): this {
    if (!this.buf) throw new Error('retain() of a released tensor');
    this.refs++;
    return this;
  }

  release(): void {
    if (!this.buf) return;
    if (--this.refs > 0) return;
    this.ctx.pool.release(this.buf);
    this.buf = null;
  }
}

export interface TensorView {
  buffer: GPUBuffer;
  shape: readonly number[];
  dtype: DType;
  size: number;
}
