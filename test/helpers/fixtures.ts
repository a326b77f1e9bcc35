// Loading the PyTorch fixtures (test/fixtures, copied from the project's shared fixtures) and comparing with
// their tolerances (see test/fixtures/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors, toFloat32, toUint8, toInt64Numbers, type SafetensorsFile } from '../../src/model/safetensors.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export class Fixture {
  readonly file: SafetensorsFile;
  constructor(readonly name: string) {
    this.file = readSafetensors(new Uint8Array(readFileSync(`${FIXTURES}${name}.safetensors`)));
  }
  has(key: string): boolean {
    return this.file.tensors.has(key);
  }
  private raw(key: string) {
    const t = this.file.tensors.get(key);
    if (!t) throw new Error(`fixture ${this.name} lacks ${key}`);
    return t;
  }
  shape(key: string): number[] {
    return [...this.raw(key).shape];
  }
  f32(key: string): Float32Array {
    return toFloat32(this.raw(key));
  }
  u8(key: string): Uint8Array {
    return toUint8(this.raw(key));
  }
  i64(key: string): number[] {
    return toInt64Numbers(this.raw(key));
  }
  get metadata(): Record<string, string> {
    return this.file.metadata;
  }
  keys(): string[] {
    return [...this.file.tensors.keys()];
  }
}

export function relL2(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`length ${a.length} vs ${ref.length}`);
  let e = 0;
  let r = 0;
  for (let i = 0; i < ref.length; i++) {
    e += (a[i]! - ref[i]!) ** 2;
    r += ref[i]! ** 2;
  }
  return Math.sqrt(e / r);
}

/**
 * Relative L2 error after setting aside the `fraction` of elements with the largest errors. Gradients through
 * max pool and ReLU are discontinuous: where PyTorch's float32 and ours round a near-tie or a near-zero
 * pre-activation differently, a whole receptive field's gradient moves. Like the README's overlay rule (LUT
 * boundaries), such elements are few; the rest must still meet the tolerance.
 */
export function relL2ExceptBoundaries(a: ArrayLike<number>, ref: ArrayLike<number>, fraction = 0.005): number {
  const errors = Array.from({ length: ref.length }, (_, i) => (a[i]! - ref[i]!) ** 2).sort((x, y) => y - x);
  const skip = Math.floor(ref.length * fraction);
  let e = 0;
  let r = 0;
  for (let i = skip; i < errors.length; i++) e += errors[i]!;
  for (let i = 0; i < ref.length; i++) r += ref[i]! ** 2;
  return Math.sqrt(e / r);
}

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The README's overlay tolerance: every byte within 1, except under 0.5% of bytes (LUT rounding boundaries). */
export function overlayMismatch(a: Uint8Array, b: Uint8Array): { maxDiff: number; fractionOver1: number } {
  let over = 0;
  let maxDiff = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    maxDiff = Math.max(maxDiff, d);
    if (d > 1) over++;
  }
  return { maxDiff, fractionOver1: over / b.length };
}

/** Indices of the k largest values, ties to the lower index. */
export function topIndices(row: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: row.length }, (_, i) => i)
    .sort((a, b) => row[b]! - row[a]! || a - b)
    .slice(0, k);
}
