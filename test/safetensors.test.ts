// The safetensors reader/writer against the PyTorch fixtures, round trips, dtype conversions, and one test per
// way a file can be malformed (each must be a WgcamError with its stable code, naming the tensor at fault).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import { RESNET50_TENSORS, validateResNet50 } from '../src/model/resnet50_spec.ts';
import {
  MAX_HEADER_LENGTH,
  WEIGHT_ERROR_CODES,
  halfToFloat,
  parseSafetensorsHeader,
  readSafetensors,
  safetensorsHeaderLength,
  toBigInt64,
  toFloat32,
  toInt64Numbers,
  toUint8,
  writeSafetensors,
  type RawTensor,
  type SafetensorsFile,
} from '../src/model/safetensors.ts';
import { syntheticSafetensors } from '../src/model/synthetic.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}.safetensors`, import.meta.url)));

function expectError(fn: () => unknown, code: string, ...mentions: string[]): WgcamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(WgcamError);
  const err = caught as WgcamError;
  expect(err.code, err.message).toBe(code);
  expect(err.name).toBe('WgcamError');
  expect(err.message).not.toContain('\n'); // one line
  for (const m of mentions) expect(err.message).toContain(m);
  return err;
}

/** A file from a header (object or raw JSON text), `dataSize` data bytes, optionally a forged length field. */
function craft(header: object | string, dataSize = 0, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataSize);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function f32(bytes: Uint8Array, byteOffset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getFloat32(byteOffset, true);
}

describe('reading the PyTorch fixtures', () => {
  test('eval-chelsea: F32 input, U8 image, metadata', () => {
    const bytes = fixture('eval-chelsea');
    const file = readSafetensors(bytes);
    expect(file.metadata.weights).toBe('resnet50-synthetic-v1');
    expect(file.metadata.target).toBe('805');
    const input = file.tensors.get('input')!;
    expect(input.dtype).toBe('F32');
    expect(input.shape).toEqual([1, 3, 224, 224]);
    const image = file.tensors.get('image')!;
    expect(image.dtype).toBe('U8');
    expect(image.shape).toEqual([224, 224, 3]);
    expect(toUint8(image).length).toBe(224 * 224 * 3);
    expect(file.tensors.get('logits')!.shape).toEqual([1, 1000]);
    expect(file.tensors.get('cam.layer4.overlay')!.dtype).toBe('U8');

    // Values agree with a plain DataView read at the header's offsets.
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const begin = 8 + n + header.input.data_offsets[0];
    const values = toFloat32(input);
    expect(values.length).toBe(3 * 224 * 224);
    for (const i of [0, 1, 1000, values.length - 1]) expect(values[i]).toBe(f32(bytes, begin + 4 * i));
    // The input is the normalised image: channel 0 of pixel 0 is (image/255 - 0.485) / 0.229.
    expect(values[0]).toBeCloseTo((image.data[0]! / 255 - 0.485) / 0.229, 5);
    // Tensors are views into the file, not copies.
    expect(input.data.buffer).toBe(bytes.buffer);
  });

  test('eval-odd-batch2 and train-batch2 (I64 labels)', () => {
    const odd = readSafetensors(fixture('eval-odd-batch2'));
    expect(odd.tensors.get('input')!.shape).toEqual([2, 3, 129, 97]);
    expect(odd.tensors.get('cam.layer4.map')!.shape).toEqual([2, 129, 97]);
    const train = readSafetensors(fixture('train-batch2'));
    const labels = train.tensors.get('labels')!;
    expect(labels.dtype).toBe('I64');
    expect(labels.shape).toEqual([2]);
    expect(toInt64Numbers(labels)).toEqual(JSON.parse(train.metadata.labels!));
    expect([...toBigInt64(labels)]).toEqual([3n, 7n]);
    expect(train.tensors.get('loss')!.shape).toEqual([1]);
    expect(toFloat32(train.tensors.get('loss')!)[0]).toBeGreaterThan(0);
  });

  test('colormaps: U8 lookup tables', () => {
    const file = readSafetensors(fixture('colormaps'));
    for (const name of ['jet', 'turbo', 'viridis', 'inferno']) expect(file.tensors.get(name)!.shape).toEqual([256, 3]);
    const jet = toUint8(file.tensors.get('jet')!);
    // JET runs from dark blue to dark red (as RGB).
    expect(jet[2]!).toBeGreaterThan(jet[0]!);
    expect(jet[255 * 3]!).toBeGreaterThan(jet[255 * 3 + 2]!);
  });

  test('the header alone can be parsed from the first part of the file', () => {
    const bytes = fixture('eval-odd-batch2');
    const n = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length);
    const header = parseSafetensorsHeader(bytes.subarray(0, 8 + n), bytes.length);
    expect(header.dataStart).toBe(8 + n);
    expect(header.tensors.get('logits')).toEqual({ dtype: 'F32', shape: [2, 1000], begin: 1700312, end: 1708312 });
  });

  test('helpers refuse the wrong dtype, naming the tensor', () => {
    const file = readSafetensors(fixture('train-batch2'));
    expectError(() => toFloat32(file.tensors.get('labels')!, 'labels'), 'WEIGHTS_BAD_DTYPE', 'labels', 'I64');
    expectError(() => toUint8(file.tensors.get('loss')!, 'loss'), 'WEIGHTS_BAD_DTYPE', 'loss');
    expectError(() => toBigInt64(file.tensors.get('loss')!), 'WEIGHTS_BAD_DTYPE');
  });
});

describe('writing', () => {
  test('round trip of every common dtype, scalars and empty tensors, with metadata', () => {
    const f32s = new Float32Array([1.5, -2, Math.PI, 1e-30]);
    const bytes = writeSafetensors(
      [
        { name: 'b.f32', dtype: 'F32', shape: [2, 2], data: f32s },
        { name: 'a.u8', dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 255]) },
        { name: 'count', dtype: 'I64', shape: [], data: new BigInt64Array([-5n]) },
        { name: 'f64', dtype: 'F64', shape: [2], data: new Float64Array([0.1, -7]) },
        { name: 'half', dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
        { name: 'empty', dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      ],
      { format: 'pt', note: 'ünïcode ✓' },
    );
    // Header padded to a multiple of 8 with spaces; the data section 8-aligned.
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(bytes[8]).toBe(0x7b);
    expect(bytes[8 + n - 1]).toBe(0x20);

    const file = readSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect([...toFloat32(file.tensors.get('b.f32')!)]).toEqual([...f32s]);
    expect(file.tensors.get('b.f32')!.shape).toEqual([2, 2]);
    expect([...toUint8(file.tensors.get('a.u8')!)]).toEqual([1, 2, 255]);
    expect(toInt64Numbers(file.tensors.get('count')!)).toEqual([-5]);
    expect(file.tensors.get('count')!.shape).toEqual([]);
    expect([...toFloat32(file.tensors.get('f64')!)]).toEqual([Math.fround(0.1), -7]);
    expect([...toFloat32(file.tensors.get('half')!)]).toEqual([1, -2]);
    expect(toFloat32(file.tensors.get('empty')!).length).toBe(0);
    // Every tensor is aligned to its element size within the file.
    for (const t of file.tensors.values()) {
      const size = { F32: 4, U8: 1, I64: 8, F64: 8, F16: 2 }[t.dtype as 'F32'];
      expect(t.data.byteOffset % size).toBe(0);
    }
  });

  test('a record is accepted too, and writing a read file reproduces it', () => {
    const a = writeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) } }, { k: 'v' });
    const file = readSafetensors(a);
    const b = writeSafetensors(
      [...file.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data })),
      file.metadata,
    );
    expect(b).toEqual(a);
  });

  test('the fixture rewritten reads back identically', () => {
    const original = readSafetensors(fixture('eval-odd-batch2'));
    const copy = readSafetensors(
      writeSafetensors([...original.tensors].map(([name, t]) => ({ name, ...t })), original.metadata),
    );
    expect(copy.metadata).toEqual(original.metadata);
    for (const [name, t] of original.tensors) {
      expect(copy.tensors.get(name)!.shape).toEqual(t.shape);
      expect(Buffer.from(copy.tensors.get(name)!.data).equals(Buffer.from(t.data)), name).toBe(true);
    }
  });

  test('refuses data of the wrong size and duplicate names', () => {
    expect(() => writeSafetensors([{ name: 'x', dtype: 'F32', shape: [4], data: new Float32Array(3) }])).toThrow(/needs 16 bytes/);
    const t = { name: 'x', dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
    expect(() => writeSafetensors([t, t])).toThrow(/twice/);
  });
});

describe('conversions', () => {
  test('F16 bit patterns', () => {
    const cases: Array<[number, number]> = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const raw: RawTensor = { dtype: 'F16', shape: [cases.length], data: new Uint8Array(new Uint16Array(cases.map((c) => c[0])).buffer) };
    expect([...toFloat32(raw)]).toEqual(cases.map((c) => c[1]));
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0xfc01)).toBeNaN();
  });

  test('BF16 bit patterns', () => {
    const cases: Array<[number, number]> = [
      [0x3f80, 1],
      [0xc040, -3],
      [0x4049, 3.140625],
      [0x7f80, Infinity],
      [0x0001, 2 ** -133], // smallest subnormal
      [0x8000, -0],
    ];
    const raw: RawTensor = { dtype: 'BF16', shape: [cases.length], data: new Uint8Array(new Uint16Array(cases.map((c) => c[0])).buffer) };
    const got = toFloat32(raw);
    cases.forEach(([, v], i) => expect(Object.is(got[i], v), `${i}`).toBe(true));
  });

  test('unaligned views are copied, with the right values', () => {
    const values = new Float32Array([0.5, -1.25, 3e38]);
    const file = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: values }]);
    for (const shift of [1, 2, 3]) {
      const holder = new Uint8Array(file.length + shift);
      holder.set(file, shift);
      const t = readSafetensors(holder.subarray(shift)).tensors.get('x')!;
      expect(t.data.byteOffset % 4).not.toBe(0);
      expect([...toFloat32(t)]).toEqual([...values]);
    }
    const ints = writeSafetensors([{ name: 'i', dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -(2n ** 40n)]) }]);
    const holder = new Uint8Array(ints.length + 4);
    holder.set(ints, 4);
    expect([...toBigInt64(readSafetensors(holder.subarray(4)).tensors.get('i')!)]).toEqual([1n, -(2n ** 40n)]);
    const halves = writeSafetensors([{ name: 'h', dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) }]);
    const h2 = new Uint8Array(halves.length + 1);
    h2.set(halves, 1);
    expect([...toFloat32(readSafetensors(h2.subarray(1)).tensors.get('h')!)]).toEqual([1]);
  });

  test('an aligned F32 tensor is a view, not a copy', () => {
    const bytes = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]);
    const view = toFloat32(readSafetensors(bytes).tensors.get('x')!);
    expect(view.buffer).toBe(bytes.buffer);
  });

  test('I64 values beyond 2^53 are refused as numbers', () => {
    const bytes = writeSafetensors([{ name: 'big', dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 60n]) }]);
    expectError(() => toInt64Numbers(readSafetensors(bytes).tensors.get('big')!, 'big'), 'WEIGHTS_BAD_DTYPE', 'big');
  });
});

describe('malformed files', () => {
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  test('empty', () => expectError(() => readSafetensors(new Uint8Array(0)), 'WEIGHTS_EMPTY'));
  test('shorter than the length field', () => expectError(() => readSafetensors(new Uint8Array(5)), 'WEIGHTS_NOT_SAFETENSORS', '5 bytes'));

  test('header length over 100 MB', () => {
    expectError(() => readSafetensors(craft(ok, 8, BigInt(MAX_HEADER_LENGTH + 1))), 'WEIGHTS_HEADER_TOO_LARGE');
    expectError(() => readSafetensors(craft(ok, 8, 2n ** 63n)), 'WEIGHTS_HEADER_TOO_LARGE');
  });

  test('header past the end of the file', () => {
    const bytes = craft(ok, 8);
    expectError(() => readSafetensors(bytes.subarray(0, 20)), 'WEIGHTS_HEADER_PAST_END', 'truncated');
    expectError(() => readSafetensors(craft(ok, 0, 10_000n)), 'WEIGHTS_HEADER_PAST_END');
  });

  test('other formats are recognised', () => {
    const zip = new Uint8Array(64);
    zip.set([0x50, 0x4b, 0x03, 0x04]);
    expectError(() => readSafetensors(zip), 'WEIGHTS_NOT_SAFETENSORS', 'zip');
    const html = new TextEncoder().encode('<!DOCTYPE html><html>Not found</html>');
    expectError(() => readSafetensors(html), 'WEIGHTS_NOT_SAFETENSORS', 'HTML');
    const pickle = new Uint8Array(64);
    pickle.set([0x80, 0x02]);
    expectError(() => readSafetensors(pickle), 'WEIGHTS_NOT_SAFETENSORS', 'pickle');
    expectError(() => readSafetensors(craft('[1, 2]')), 'WEIGHTS_NOT_SAFETENSORS');
  });

  test('bad JSON', () => {
    expectError(() => readSafetensors(craft('{"x": {"dtype": ')), 'WEIGHTS_BAD_JSON');
    const invalidUtf8 = craft('{"x"}');
    invalidUtf8[10] = 0xff;
    expectError(() => readSafetensors(invalidUtf8), 'WEIGHTS_BAD_JSON');
    expectError(() => readSafetensors(craft({ __metadata__: { a: 1 } })), 'WEIGHTS_BAD_JSON', '__metadata__');
    expectError(() => readSafetensors(craft({ __metadata__: [] })), 'WEIGHTS_BAD_JSON', '__metadata__');
    expectError(() => readSafetensors(craft({ x: 3 })), 'WEIGHTS_BAD_JSON', '"x"');
    expectError(() => readSafetensors(craft({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8)), 'WEIGHTS_BAD_JSON', '"x"', 'shape');
    expectError(() => readSafetensors(craft({ x: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, 8)), 'WEIGHTS_BAD_JSON', '"x"');
    expectError(() => readSafetensors(craft({ x: { dtype: 'F32', data_offsets: [0, 8] } }, 8)), 'WEIGHTS_BAD_JSON', '"x"');
  });

  test('unknown dtype', () => {
    expectError(() => readSafetensors(craft({ 'layer1.0.conv1.weight': { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, 8)), 'WEIGHTS_BAD_DTYPE', 'layer1.0.conv1.weight', 'Q4');
    expectError(() => readSafetensors(craft({ x: { dtype: 'f32', shape: [2], data_offsets: [0, 8] } }, 8)), 'WEIGHTS_BAD_DTYPE');
  });

  test('offsets out of range or malformed', () => {
    expectError(() => readSafetensors(craft({ big: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8)), 'WEIGHTS_BAD_OFFSETS', '"big"', 'truncated');
    expectError(() => readSafetensors(craft({ rev: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8)), 'WEIGHTS_BAD_OFFSETS', '"rev"');
    expectError(() => readSafetensors(craft({ neg: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, 8)), 'WEIGHTS_BAD_OFFSETS', '"neg"');
    expectError(() => readSafetensors(craft({ one: { dtype: 'F32', shape: [2], data_offsets: [8] } }, 8)), 'WEIGHTS_BAD_OFFSETS', '"one"');
  });

  test('overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectError(() => readSafetensors(craft(header, 12)), 'WEIGHTS_OVERLAP', '"a"', '"b"');
    const same = { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } };
    expectError(() => readSafetensors(craft(same, 4)), 'WEIGHTS_OVERLAP');
    expectError(() => readSafetensors(craft(same, 4), { allowGaps: true }), 'WEIGHTS_OVERLAP');
  });

  test('byte count differs from the shape', () => {
    expectError(() => readSafetensors(craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), 'WEIGHTS_SHAPE_MISMATCH', '"w"', '12 bytes');
    expectError(() => readSafetensors(craft({ w: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 4] } }, 4)), 'WEIGHTS_SHAPE_MISMATCH', '"w"');
  });

  test('gaps and trailing bytes are refused unless allowed', () => {
    const gap = { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [8, 12] } };
    expectError(() => readSafetensors(craft(gap, 12)), 'WEIGHTS_BAD_OFFSETS', '"b"');
    expect(readSafetensors(craft(gap, 12), { allowGaps: true }).tensors.get('b')!.data.length).toBe(4);
    expectError(() => readSafetensors(craft(ok, 16)), 'WEIGHTS_BAD_OFFSETS', 'trailing');
  });

  test('valid edge cases: empty header, empty tensor anywhere, whitespace padding', () => {
    expect(readSafetensors(craft('{}')).tensors.size).toBe(0);
    expect(readSafetensors(craft('{"__metadata__":{}}       ')).metadata).toEqual({});
    const withEmpty = { e: { dtype: 'F32', shape: [0], data_offsets: [8, 8] }, ...ok };
    expect(readSafetensors(craft(withEmpty, 8)).tensors.get('e')!.shape).toEqual([0]);
  });

  test('the error codes are all documented', () => {
    for (const code of [
      'WEIGHTS_EMPTY', 'WEIGHTS_NOT_SAFETENSORS', 'WEIGHTS_HEADER_TOO_LARGE', 'WEIGHTS_HEADER_PAST_END', 'WEIGHTS_BAD_JSON',
      'WEIGHTS_BAD_DTYPE', 'WEIGHTS_BAD_OFFSETS', 'WEIGHTS_OVERLAP', 'WEIGHTS_SHAPE_MISMATCH', 'WEIGHTS_MISSING_TENSOR',
      'WEIGHTS_WRONG_SHAPE', 'WEIGHTS_NON_FINITE', 'DOWNLOAD_FAILED', 'CHECKSUM_MISMATCH', 'FILE_NOT_FOUND',
    ]) {
      expect(WEIGHT_ERROR_CODES[code as keyof typeof WEIGHT_ERROR_CODES], code).toMatch(/\S/);
    }
  });
});

describe('ResNet50 validation', () => {
  let synthetic: SafetensorsFile;
  beforeAll(() => {
    synthetic = readSafetensors(syntheticSafetensors());
  });
  /** A copy of the synthetic file's tensor map, changed by `edit` (the bytes are shared). */
  const edited = (edit: (tensors: Map<string, RawTensor>) => void): SafetensorsFile => {
    const tensors = new Map(synthetic.tensors);
    edit(tensors);
    return { metadata: synthetic.metadata, tensors };
  };

  test('spec: 320 entries in torchvision order, 53 num_batches_tracked scalars', () => {
    expect(RESNET50_TENSORS.length).toBe(320);
    expect(RESNET50_TENSORS[0]).toMatchObject({ name: 'conv1.weight', shape: [64, 3, 7, 7] });
    expect(RESNET50_TENSORS.at(-1)).toMatchObject({ name: 'fc.bias', shape: [1000] });
    const nbt = RESNET50_TENSORS.filter((t) => t.kind === 'num_batches_tracked');
    expect(nbt.length).toBe(53);
    expect(nbt.every((t) => t.shape.length === 0 && t.name.endsWith('.num_batches_tracked'))).toBe(true);
    const byName = new Map(RESNET50_TENSORS.map((t) => [t.name, t.shape]));
    expect(byName.get('layer1.0.conv1.weight')).toEqual([64, 64, 1, 1]);
    expect(byName.get('layer1.1.conv1.weight')).toEqual([64, 256, 1, 1]);
    expect(byName.get('layer2.0.conv2.weight')).toEqual([128, 128, 3, 3]); // v1.5: the stride is here
    expect(byName.get('layer3.0.downsample.0.weight')).toEqual([1024, 512, 1, 1]);
    expect(byName.get('layer4.2.conv3.weight')).toEqual([2048, 512, 1, 1]);
    expect(byName.get('layer4.0.downsample.1.running_var')).toEqual([2048]);
    expect(byName.has('layer3.5.bn3.bias')).toBe(true);
    expect(byName.has('layer3.6.bn3.bias')).toBe(false);
    expect(byName.has('layer2.1.downsample.0.weight')).toBe(false);
    expect(byName.get('fc.weight')).toEqual([1000, 2048]);
  });

  test('the synthetic file passes; num_batches_tracked left out; F32 tensors are views', () => {
    const weights = validateResNet50(synthetic);
    expect(weights.size).toBe(267);
    expect(weights.has('bn1.num_batches_tracked')).toBe(false);
    expect(weights.get('fc.weight')!.buffer).toBe(synthetic.tensors.get('fc.weight')!.data.buffer);
  });

  test('missing tensor, named', () => {
    const file = edited((t) => t.delete('layer3.2.bn2.running_var'));
    expectError(() => validateResNet50(file), 'WEIGHTS_MISSING_TENSOR', 'layer3.2.bn2.running_var');
    const many = edited((t) => {
      t.delete('fc.weight');
      t.delete('fc.bias');
    });
    expectError(() => validateResNet50(many), 'WEIGHTS_MISSING_TENSOR', 'fc.weight', '1 more');
  });

  test('a file of something else says no ResNet50 tensor was found', () => {
    expectError(() => validateResNet50(readSafetensors(fixture('colormaps'))), 'WEIGHTS_MISSING_TENSOR', 'no ResNet50 tensor', '"inferno"');
  });

  test('wrong shape, named with both shapes', () => {
    const file = edited((t) => {
      const w = t.get('layer2.0.downsample.0.weight')!;
      t.set('layer2.0.downsample.0.weight', { ...w, shape: [512, 256, 1] });
    });
    expectError(() => validateResNet50(file), 'WEIGHTS_WRONG_SHAPE', 'layer2.0.downsample.0.weight', '[512,256,1]', '[512,256,1,1]');
  });

  test('NaN and infinite weights, named', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const file = edited((t) => {
        const w = t.get('layer4.1.conv2.weight')!;
        const copy = new Float32Array(toFloat32(w));
        copy[1234] = bad;
        t.set('layer4.1.conv2.weight', { ...w, data: new Uint8Array(copy.buffer) });
      });
      expectError(() => validateResNet50(file), 'WEIGHTS_NON_FINITE', 'layer4.1.conv2.weight', 'index 1234');
    }
  });

  test('an integer weight is refused', () => {
    const file = edited((t) => t.set('fc.bias', { dtype: 'I64', shape: [1000], data: new Uint8Array(8000) }));
    expectError(() => validateResNet50(file), 'WEIGHTS_BAD_DTYPE', 'fc.bias');
  });

  test('prefixes stripped, extras ignored, num_batches_tracked optional, F16/BF16 converted', () => {
    const file: SafetensorsFile = { metadata: {}, tensors: new Map() };
    for (const [name, t] of synthetic.tensors) {
      if (name.endsWith('num_batches_tracked')) continue;
      file.tensors.set(`module.${name}`, t);
    }
    file.tensors.set('module.extra.head.weight', { dtype: 'U8', shape: [3], data: new Uint8Array(3) });
    file.tensors.set('conv1.weight', { dtype: 'U8', shape: [1], data: new Uint8Array(1) }); // a stray unprefixed name
    // fc.bias in F16, bn1.bias in BF16.
    file.tensors.set('module.fc.bias', { dtype: 'F16', shape: [1000], data: new Uint8Array(new Uint16Array(1000).fill(0x3c00).buffer) });
    file.tensors.set('module.bn1.bias', { dtype: 'BF16', shape: [64], data: new Uint8Array(new Uint16Array(64).fill(0xc040).buffer) });
    const weights = validateResNet50(file);
    expect(weights.size).toBe(267);
    expect(weights.get('fc.bias')!.every((v) => v === 1)).toBe(true);
    expect(weights.get('bn1.bias')!.every((v) => v === -3)).toBe(true);
    expect(weights.get('conv1.weight')!.length).toBe(64 * 3 * 49);

    const model = { metadata: {}, tensors: new Map([...synthetic.tensors].map(([n, t]) => [`model.${n}`, t])) };
    expect(validateResNet50(model).size).toBe(267);
  });
});
