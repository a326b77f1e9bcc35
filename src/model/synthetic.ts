// "resnet50-synthetic-v1": deterministic ResNet50 weights, every element a hash of its tensor name and index
// (see fixtures/SYNTHETIC_WEIGHTS.md). The PyTorch reference fixtures were computed from exactly these values,
// so the generator must be bit-exact: 32-bit products through Math.imul, the affine map in float64, one
// rounding to float32 when stored.
import { RESNET50_TENSORS, type TensorSpec } from './resnet50_spec.ts';
import { layoutSafetensors } from './safetensors.ts';

export const SYNTHETIC_NAME = 'resnet50-synthetic-v1';

const GOLDEN = 0x9e3779b9;

/** FNV-1a over the UTF-8 bytes of `s`, as an unsigned 32-bit integer. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** MurmurHash3's finaliser, unsigned 32-bit in and out. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The offset and scale of a tensor, from the table in SYNTHETIC_WEIGHTS.md. */
export function syntheticParams(name: string, shape: readonly number[]): { offset: number; scale: number } {
  if (name === 'fc.weight') return { offset: 0, scale: Math.sqrt(6 / 2048) };
  if (name === 'fc.bias') return { offset: 0, scale: 0.1 };
  if (shape.length === 4 && name.endsWith('.weight')) {
    const [, inC, kh, kw] = shape as [number, number, number, number];
    return { offset: 0, scale: Math.sqrt(6 / (inC * kh * kw)) };
  }
  if (name.endsWith('.running_mean')) return { offset: 0, scale: 0.1 };
  if (name.endsWith('.running_var')) return { offset: 1, scale: 0.25 };
  if (name.endsWith('.bias')) return { offset: 0, scale: 0.1 };
  if (name.endsWith('.bn3.weight') || name.endsWith('.downsample.1.weight')) return { offset: 0.5, scale: 0.1 };
  if (name.endsWith('.weight')) return { offset: 1, scale: 0.25 };
  throw new Error(`no synthetic value rule for tensor "${name}"`);
}

/**
 * Element j of tensor `name` with the given offset and scale, as a float32 value (a number that is exactly a
 * float32). `name` may be given pre-hashed (fnv1a32) to save rehashing.
 */
export function syntheticValue(name: string | number, j: number, offset: number, scale: number): number {
  const base = typeof name === 'number' ? name : fnv1a32(name);
  const h = fmix32((base + Math.imul(j, GOLDEN)) >>> 0);
  const u = (h >>> 8) / 2 ** 24;
  return Math.fround(offset + (2 * u - 1) * scale);
}

/** Fill `out` with tensor `name`'s values (offset and scale from its name and shape). */
export function fillSynthetic(out: Float32Array, name: string, shape: readonly number[]): Float32Array {
  const { offset, scale } = syntheticParams(name, shape);
  // Walk the hash input by adding the golden constant rather than multiplying per element.
  let k = fnv1a32(name);
  for (let j = 0; j < out.length; j++) {
    let h = k;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // The Float32Array store is the rounding to float32 (round to nearest even, same as Math.fround).
    out[j] = offset + (2 * ((h >>> 8) / 16777216) - 1) * scale;
    k = (k + GOLDEN) >>> 0;
  }
  return out;
}

/** Tensor `name` of the given shape, freshly allocated. */
export function syntheticTensor(name: string, shape: readonly number[]): Float32Array {
  return fillSynthetic(new Float32Array(shape.reduce((a, b) => a * b, 1)), name, shape);
}

function floatSpecs(): TensorSpec[] {
  return RESNET50_TENSORS.filter((t) => t.kind !== 'num_batches_tracked');
}

/** The full synthetic state dict as float32 (num_batches_tracked left out), keyed by torchvision name. */
export function syntheticResNet50(): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const t of floatSpecs()) weights.set(t.name, syntheticTensor(t.name, t.shape));
  return weights;
}

/**
 * The synthetic weights as a safetensors file, as PyTorch would save them: every float tensor F32, every
 * num_batches_tracked an I64 scalar 0. Generated straight into the file's buffer (one allocation).
 */
export function syntheticSafetensors(): Uint8Array {
  const entries = RESNET50_TENSORS.map((t) => ({ name: t.name, dtype: t.kind === 'num_batches_tracked' ? ('I64' as const) : ('F32' as const), shape: t.shape }));
  const { bytes, ranges } = layoutSafetensors(entries, { format: 'pt', weights: SYNTHETIC_NAME });
  // The layout puts 8-byte dtypes first and starts the data 8-aligned, so each F32 range is 4-aligned.
  // num_batches_tracked stays zero as allocated.
  for (const t of floatSpecs()) {
    const r = ranges.get(t.name)!;
    fillSynthetic(new Float32Array(bytes.buffer, bytes.byteOffset + r.begin, (r.end - r.begin) / 4), t.name, t.shape);
  }
  return bytes;
}
