// The synthetic weights must match SYNTHETIC_WEIGHTS.md bit for bit: the PyTorch fixtures were computed from
// them. No fixture holds a weight tensor, so the values are checked against the spec's check values and an
// independent re-derivation written here with BigInt arithmetic (no Math.imul, no shared code).
import { beforeAll, describe, expect, test } from 'vitest';
import { RESNET50_FLOAT_COUNT, RESNET50_TENSORS } from '../src/model/resnet50_spec.ts';
import { readSafetensors, toBigInt64, toFloat32 } from '../src/model/safetensors.ts';
import {
  SYNTHETIC_NAME,
  fmix32,
  fnv1a32,
  syntheticResNet50,
  syntheticSafetensors,
  syntheticTensor,
  syntheticValue,
} from '../src/model/synthetic.ts';

// ---- The independent reference: SYNTHETIC_WEIGHTS.md transcribed with BigInt, mod 2^32 spelled out. ----
const M32 = (1n << 32n) - 1n;

function refFnv(name: string): bigint {
  let h = 0x811c9dc5n;
  for (const b of Buffer.from(name, 'utf8')) h = ((h ^ BigInt(b)) * 0x01000193n) & M32;
  return h;
}

function refFmix(h: bigint): bigint {
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M32;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M32;
  h ^= h >> 16n;
  return h;
}

/** The table of SYNTHETIC_WEIGHTS.md, its rows tried in order. */
function refOffsetScale(name: string, shape: number[]): [number, number] {
  if (name === 'fc.weight') return [0, Math.sqrt(6 / 2048)];
  if (name === 'fc.bias') return [0, 0.1];
  if (shape.length === 4) return [0, Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!))];
  if (/\.bn3\.weight$|\.downsample\.1\.weight$/.test(name)) return [0.5, 0.1];
  if (/\.running_mean$/.test(name)) return [0, 0.1];
  if (/\.running_var$/.test(name)) return [1, 0.25];
  if (/\.weight$/.test(name)) return [1, 0.25];
  if (/\.bias$/.test(name)) return [0, 0.1];
  throw new Error(`no rule for ${name}`);
}

/** float32 bits of the reference value. */
function refBits(name: string, shape: number[], j: number): number {
  const [offset, scale] = refOffsetScale(name, shape);
  const h = refFmix((refFnv(name) + BigInt(j) * 0x9e3779b9n) & M32);
  const u = Number(h >> 8n) / 2 ** 24;
  return f32Bits(offset + (2 * u - 1) * scale);
}

function f32Bits(x: number): number {
  const f = new Float32Array([x]); // rounds to nearest float32
  return new Uint32Array(f.buffer)[0]!;
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Deterministic sample of indices: both ends and a spread in between. */
function sampleIndices(n: number, count = 24): number[] {
  const out = new Set<number>([0, Math.min(1, n - 1), n - 1, n >> 1]);
  let x = 12345;
  while (out.size < Math.min(n, count)) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.add(x % n);
  }
  return [...out];
}

describe('hash functions', () => {
  test('fnv1a32 matches the check value and the reference', () => {
    expect(fnv1a32('conv1.weight')).toBe(0xbdcec494);
    for (const name of ['', 'a', 'fc.bias', 'layer4.2.bn3.running_var', 'naïve.ü']) expect(fnv1a32(name)).toBe(Number(refFnv(name)));
  });

  test('fmix32 matches the reference on edge and random inputs', () => {
    const inputs = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xdeadbeef, ...sampleIndices(2 ** 32, 50)];
    for (const x of inputs) expect(fmix32(x)).toBe(Number(refFmix(BigInt(x))));
  });
});

describe('values', () => {
  test('the first four values of conv1.weight with offset 0, scale 1 are the check values', () => {
    const expected = [0.9088377, -0.20123208, -0.23817992, -0.90072644];
    expected.forEach((v, j) => {
      const got = syntheticValue('conv1.weight', j, 0, 1);
      expect(Math.abs(got - v)).toBeLessThan(1e-7);
      expect(f32Bits(got)).toBe(f32BitsFromRef('conv1.weight', j, 0, 1));
      expect(Math.fround(got)).toBe(got); // already a float32
    });
  });

  test('syntheticValue accepts a pre-hashed name and agrees with the reference far into a tensor', () => {
    const hash = fnv1a32('fc.weight');
    for (const j of [0, 7, 123_456, 2_047_999]) {
      expect(f32Bits(syntheticValue(hash, j, 0, Math.sqrt(6 / 2048)))).toBe(refBits('fc.weight', [1000, 2048], j));
    }
  });
});

function f32BitsFromRef(name: string, j: number, offset: number, scale: number): number {
  const h = refFmix((refFnv(name) + BigInt(j) * 0x9e3779b9n) & M32);
  return f32Bits(offset + (2 * (Number(h >> 8n) / 2 ** 24) - 1) * scale);
}

describe('syntheticResNet50', () => {
  let weights: Map<string, Float32Array>;
  // The time to make them is measured by the bench (its log line "weights synthetic: loaded in N ms"); the
  // hook's timeout is only a hang guard.
  beforeAll(() => {
    weights = syntheticResNet50();
  }, 120_000);

  test('has every float tensor of the state dict with its shape, and nothing else', () => {
    const floats = RESNET50_TENSORS.filter((t) => !t.name.endsWith('num_batches_tracked'));
    expect(weights.size).toBe(267);
    expect([...weights.keys()]).toEqual(floats.map((t) => t.name));
    let total = 0;
    for (const t of floats) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      expect(weights.get(t.name)!.length, t.name).toBe(n);
      total += n;
    }
    expect(total).toBe(RESNET50_FLOAT_COUNT);
    expect(total).toBe(25_557_032 + 2 * 26_560); // torchvision's parameter count + running statistics
  });

  test('every tensor is bit-exact against the BigInt reference on a sample of indices', () => {
    for (const t of RESNET50_TENSORS) {
      if (t.name.endsWith('num_batches_tracked')) continue;
      const bits = bitsOf(weights.get(t.name)!);
      for (const j of sampleIndices(bits.length)) {
        const want = refBits(t.name, t.shape, j);
        if (bits[j] !== want) expect.fail(`${t.name}[${j}]: bits ${bits[j]!.toString(16)} != reference ${want.toString(16)}`);
      }
    }
  });

  test('whole small tensors are bit-exact against the reference', () => {
    for (const name of ['bn1.weight', 'bn1.running_var', 'layer1.0.bn3.weight', 'layer3.0.downsample.1.weight', 'fc.bias', 'layer2.1.bn2.bias']) {
      const spec = RESNET50_TENSORS.find((t) => t.name === name)!;
      const bits = bitsOf(weights.get(name)!);
      for (let j = 0; j < bits.length; j++) if (bits[j] !== refBits(name, spec.shape, j)) expect.fail(`${name}[${j}] differs`);
    }
  });

  test('values lie in offset +- scale for the rule of each tensor', () => {
    const range = (name: string) => {
      const a = weights.get(name)!;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of a) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return [lo, hi] as const;
    };
    const within = (name: string, offset: number, scale: number) => {
      const [lo, hi] = range(name);
      expect(lo, name).toBeGreaterThanOrEqual(Math.fround(offset - scale));
      expect(hi, name).toBeLessThanOrEqual(Math.fround(offset + scale));
      expect(hi - lo, name).toBeGreaterThan(scale); // actually spread, not constant
    };
    within('layer4.2.bn3.weight', 0.5, 0.1);
    within('layer2.0.downsample.1.weight', 0.5, 0.1);
    within('layer2.0.bn1.weight', 1, 0.25);
    within('layer3.4.bn2.running_var', 1, 0.25);
    within('layer3.4.bn2.running_mean', 0, 0.1);
    within('conv1.weight', 0, Math.sqrt(6 / 147));
    within('layer4.0.conv2.weight', 0, Math.sqrt(6 / (512 * 9)));
    within('fc.weight', 0, Math.sqrt(6 / 2048));
  });

  test('syntheticTensor gives the same values as the map', () => {
    const a = syntheticTensor('layer1.2.conv2.weight', [64, 64, 3, 3]);
    expect(bitsOf(a)).toEqual(bitsOf(weights.get('layer1.2.conv2.weight')!));
  });

  test('syntheticSafetensors holds the same values, I64 zero num_batches_tracked and the metadata', () => {
    const bytes = syntheticSafetensors();
    const file = readSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', weights: SYNTHETIC_NAME });
    expect(file.tensors.size).toBe(320);
    for (const t of RESNET50_TENSORS) {
      const raw = file.tensors.get(t.name)!;
      expect(raw.shape, t.name).toEqual(t.shape);
      if (t.name.endsWith('num_batches_tracked')) {
        expect(raw.dtype).toBe('I64');
        expect([...toBigInt64(raw)]).toEqual([0n]);
      } else {
        expect(raw.dtype).toBe('F32');
        // Aligned views, so loading it costs no copy.
        expect(raw.data.byteOffset % 4).toBe(0);
        const mine = bitsOf(toFloat32(raw));
        const ref = bitsOf(weights.get(t.name)!);
        if (!mine.every((b, i) => b === ref[i])) expect.fail(`${t.name} differs between the file and the map`);
      }
    }
  });
});
