// Property-based fuzzing of the safetensors reader (fast-check): more than 10,000 valid, mutated and random
// files. The property: every input either parses into tensors that lie inside the file and agree with the
// header, or is refused with a WgcamError whose code is a documented weight error and whose message is one
// bounded line. Never another exception, never a slow parse, never an allocation beyond the file's size
// (tensors are views into the input). A second part checks that src/error_codes.ts lists every code thrown in
// src/ and that README.md's Troubleshooting table lists every code of that table.
//
// The seed is fixed so CI is deterministic; explore with WGCAM_FUZZ_SEED=random (or any integer), e.g.
//   WGCAM_FUZZ_SEED=random npx vitest run test/fuzz_safetensors.test.ts
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { ERROR_CODES } from '../src/error_codes.ts';
import { WgcamError } from '../src/errors.ts';
import { validateResNet50 } from '../src/model/resnet50_spec.ts';
import {
  DTYPE_SIZES,
  MAX_HEADER_LENGTH,
  WEIGHT_ERROR_CODES,
  isDType,
  numel,
  parseSafetensorsHeader,
  readSafetensors,
  safetensorsHeaderLength,
  toBigInt64,
  toFloat32,
  toInt64Numbers,
  toUint8,
  writeSafetensors,
  type DType,
  type SafetensorsFile,
} from '../src/model/safetensors.ts';

// ---------------------------------------------------------------------------------------------------------
// Settings.

const SEED_ENV = process.env.WGCAM_FUZZ_SEED;
const SEED = SEED_ENV === 'random' ? Date.now() % 2 ** 31 : Number(SEED_ENV ?? 424242);
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed: SEED });

/** No parse may take longer than this (generous: two shared cores); JSON.parse of 1 MB of nesting takes ~0.25 s. */
const slowMs = (bytes: number) => 1500 + bytes / 500;
/** Slack for the ArrayBuffer accounting (allocations by the runtime around the call). */
const ALLOC_SLACK = 64 * 1024;
/** The codes the reader itself may throw. */
const PARSER_CODES = new Set([
  'WEIGHTS_EMPTY',
  'WEIGHTS_NOT_SAFETENSORS',
  'WEIGHTS_HEADER_TOO_LARGE',
  'WEIGHTS_HEADER_PAST_END',
  'WEIGHTS_BAD_JSON',
  'WEIGHTS_BAD_DTYPE',
  'WEIGHTS_BAD_OFFSETS',
  'WEIGHTS_OVERLAP',
  'WEIGHTS_SHAPE_MISMATCH',
]);
const DTYPES = Object.keys(DTYPE_SIZES) as DType[];

const stats = { inputs: 0, accepted: 0, maxMs: 0, maxArrayBufferGrowth: 0, codes: new Map<string, number>() };

afterAll(() => {
  const codes = [...stats.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  console.log(
    `fuzz_safetensors (seed ${SEED}): ${stats.inputs} inputs, ${stats.accepted} accepted; slowest parse ${stats.maxMs.toFixed(1)} ms; ` +
      `largest ArrayBuffer growth ${stats.maxArrayBufferGrowth} bytes; refusals: ${codes}`,
  );
});

// ---------------------------------------------------------------------------------------------------------
// The property.

function assertCleanError(e: unknown, where: string, oneLine = true): WgcamError {
  if (!(e instanceof WgcamError)) {
    const what = e instanceof Error ? `${e.name}: ${e.message.slice(0, 300)}` : String(e);
    throw new Error(`${where} threw a non-WgcamError: ${what}`);
  }
  expect(e.name).toBe('WgcamError');
  expect(Object.prototype.hasOwnProperty.call(WEIGHT_ERROR_CODES, e.code), `undocumented code ${e.code}`).toBe(true);
  if (oneLine) expect(e.message, 'one line').not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  expect(e.message.length, `message of ${e.message.length} chars`).toBeLessThanOrEqual(2000);
  return e;
}

/** The header's JSON and the data section's start, read independently of the reader (for the oracle). */
function rawHeader(bytes: Uint8Array): { dataStart: number; json: Record<string, unknown> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  return { dataStart: 8 + n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

/** An accepted file must be consistent with its bytes and header, and its tensors must be views into it. */
function assertConsistent(bytes: Uint8Array, file: SafetensorsFile, allowGaps: boolean): void {
  const { dataStart, json } = rawHeader(bytes);
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  expect([...file.tensors.keys()]).toEqual(names);
  // Metadata: exactly the header's, every value a string (including keys such as "__proto__").
  const meta = (json.__metadata__ ?? {}) as Record<string, unknown>;
  expect(Object.keys(file.metadata).sort()).toEqual(Object.keys(meta).sort());
  for (const [k, v] of Object.entries(meta)) {
    expect(typeof v).toBe('string');
    expect(Object.getOwnPropertyDescriptor(file.metadata, k)?.value).toBe(v);
  }
  const ranges: Array<[number, number]> = [];
  for (const [name, t] of file.tensors) {
    const entry = json[name] as { dtype: unknown; shape: unknown; data_offsets: [number, number] };
    expect(isDType(t.dtype)).toBe(true);
    expect(t.dtype).toBe(entry.dtype);
    expect(t.shape).toEqual(entry.shape);
    expect(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    // A view into the input, inside the data section, of exactly product(shape) x dtype size bytes.
    expect(t.data.buffer).toBe(bytes.buffer);
    const begin = t.data.byteOffset - bytes.byteOffset;
    const end = begin + t.data.byteLength;
    expect(begin).toBe(dataStart + entry.data_offsets[0]);
    expect(end).toBe(dataStart + entry.data_offsets[1]);
    expect(begin).toBeGreaterThanOrEqual(dataStart);
    expect(end).toBeLessThanOrEqual(bytes.length);
    expect(t.data.byteLength).toBe(numel(t.shape) * DTYPE_SIZES[t.dtype]);
    ranges.push([begin, end]);
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = dataStart;
  for (const [begin, end] of ranges) {
    expect(begin, 'tensors overlap').toBeGreaterThanOrEqual(covered);
    if (!allowGaps) expect(begin, 'gap between tensors').toBe(covered);
    covered = end;
  }
  if (!allowGaps) expect(covered, 'trailing bytes').toBe(bytes.length);
}

/** The conversions must return product(shape) values or refuse with a WgcamError. */
function assertConversions(file: SafetensorsFile): void {
  for (const [name, t] of file.tensors) {
    const n = numel(t.shape);
    for (const convert of [toFloat32, toUint8, toBigInt64, toInt64Numbers] as const) {
      try {
        expect(convert(t, name).length).toBe(n);
      } catch (e) {
        assertCleanError(e, `${convert.name}(${t.dtype})`);
      }
    }
  }
  try {
    validateResNet50(file);
  } catch (e) {
    assertCleanError(e, 'validateResNet50');
  }
}

/** The streaming path (length from the first 8 bytes, then the header alone) agrees with readSafetensors. */
function streamingOutcome(bytes: Uint8Array, allowGaps: boolean): string {
  try {
    // A streaming reader reads a first chunk (here 16 bytes), learns N, then reads the header.
    const n = safetensorsHeaderLength(bytes.subarray(0, 16), bytes.length);
    const header = parseSafetensorsHeader(bytes.slice(0, 8 + n), bytes.length, { allowGaps });
    return `ok ${header.tensors.size}`;
  } catch (e) {
    return assertCleanError(e, 'parseSafetensorsHeader').code;
  }
}

/** Parse `bytes` under the property; returns 'ok' or the error code. */
function check(bytes: Uint8Array, allowGaps = false): string {
  stats.inputs++;
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let file: SafetensorsFile | undefined;
  let error: unknown;
  try {
    file = readSafetensors(bytes, { allowGaps });
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const grown = process.memoryUsage().arrayBuffers - before;
  stats.maxMs = Math.max(stats.maxMs, ms);
  if (process.env.WGCAM_FUZZ_DEBUG && ms > 50) console.log(`slow ${ms.toFixed(0)} ms: ${bytes.length} bytes ${new TextDecoder().decode(bytes.subarray(8, 80))}`);
  stats.maxArrayBufferGrowth = Math.max(stats.maxArrayBufferGrowth, grown);
  expect(ms, `parse of ${bytes.length} bytes took ${ms.toFixed(0)} ms`).toBeLessThan(slowMs(bytes.length));
  expect(grown, 'ArrayBuffer growth while parsing').toBeLessThanOrEqual(bytes.length + ALLOC_SLACK);

  let outcome: string;
  if (file === undefined) {
    outcome = assertCleanError(error, 'readSafetensors').code;
    expect(PARSER_CODES.has(outcome), `the reader threw ${outcome}`).toBe(true);
  } else {
    stats.accepted++;
    assertConsistent(bytes, file, allowGaps);
    assertConversions(file);
    outcome = 'ok';
  }
  stats.codes.set(outcome, (stats.codes.get(outcome) ?? 0) + 1);
  const streamed = streamingOutcome(bytes, allowGaps);
  expect(streamed.startsWith('ok') ? 'ok' : streamed, 'streaming parse disagrees').toBe(outcome);
  return outcome;
}

// ---------------------------------------------------------------------------------------------------------
// Generators.

/** Deterministic filler bytes (a tensor's values do not matter to the reader). */
function filler(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

const nameArb = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 10 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 2, arbitrary: fc.constantFrom('conv1.weight', 'fc.bias', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'a\nb', '"q"', 'ü✓', '\u2028') },
  )
  .filter((n) => n !== '__metadata__');

const specArb = fc.record({ name: nameArb, dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.nat({ max: 4 }), { maxLength: 4 }) });

const metadataArb = fc.option(
  fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'format', 'constructor')), fc.string({ maxLength: 12 }), { maxKeys: 4 }),
  { nil: undefined },
);

interface Valid {
  bytes: Uint8Array;
  tensors: Array<{ name: string; dtype: DType; shape: number[]; data: Uint8Array }>;
  metadata: Record<string, string> | undefined;
}

const validArb: fc.Arbitrary<Valid> = fc
  .record({ specs: fc.uniqueArray(specArb, { selector: (s) => s.name, maxLength: 6 }), metadata: metadataArb, seed: fc.nat() })
  .map(({ specs, metadata, seed }) => {
    const tensors = specs.map((s, i) => ({ ...s, data: filler(numel(s.shape) * DTYPE_SIZES[s.dtype], seed + i) }));
    return { bytes: writeSafetensors(tensors, metadata), tensors, metadata };
  });

/** Raw JSON texts that JSON.stringify cannot produce: edge numbers, deep nesting, long strings. */
const rawValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  fc.constantFrom(
    '-1', '-0', '0.0', '1.0', '1e0', '8e0', '0.5', '1e21', '1e308', '1e400', '-1e400', '9007199254740991', '9007199254740992',
    '9007199254740993', '18446744073709551615', '18446744073709551616', '4294967296', '100000000', 'NaN', 'Infinity', 'null',
    'true', '""', '"F32"', '"f32"', '"F32 "', '"U8"', '[]', '{}', '[0]', '[0,0]', '[1,0]', '[0,1,2]', '[-1,0]', '[0,-8]', '[0.5,1]',
    '[1e400,0]', '["0","8"]', '[null,null]', '[[0],[8]]', '[0,9007199254740993]', '[9007199254740991,9007199254740991]',
    '[4294967296,4294967300]', '[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2]',
    '[4294967296,4294967296]', '[65536,65536,65536,65536]', '[0,4294967296]', '[1e15,1e15]', '{"a":"b"}', '{"a":1}', '{"a":null}',
    '{"a":{"b":"c"}}', '{"a":["b"]}',
  ),
  // Deeper than JSON.stringify's recursion can go (about 10,000 levels), and long values.
  fc.integer({ min: 1, max: 30_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 1, max: 15_000 }).map((d) => '{"a":'.repeat(d) + '0' + '}'.repeat(d)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => '['.repeat(d) + '"F32"' + ']'.repeat(d)),
  fc.integer({ min: 1, max: 50_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `[${Array.from({ length: n }, (_, i) => i % 3).join(',')}]`),
);

/** One header entry as [key, raw JSON text]: keys may repeat, values may be anything. */
type Pair = [string, string];

/** Replace one field of a tensor entry (an object text) with a raw value, or delete it, or add junk. */
function editEntry(entry: string, field: string, raw: string | null): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(entry);
  } catch {
    return entry;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return entry;
  const keys = Object.keys(obj);
  if (!keys.includes(field)) keys.push(field);
  const parts: string[] = [];
  try {
    for (const k of keys) {
      if (k === field) {
        if (raw !== null) parts.push(`${JSON.stringify(k)}:${raw}`);
      } else parts.push(`${JSON.stringify(k)}:${JSON.stringify(obj[k])}`);
    }
  } catch {
    return entry; // JSON.stringify overflows the stack on a value nested by an earlier mutation
  }
  return `{${parts.join(',')}}`;
}

const jsonMutationArb = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), index: fc.nat(), field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra'), raw: rawValueArb }),
  fc.record({ kind: fc.constant('delete' as const), index: fc.nat(), field: fc.constantFrom('dtype', 'shape', 'data_offsets') }),
  fc.record({ kind: fc.constant('entry' as const), index: fc.nat(), raw: rawValueArb }),
  fc.record({ kind: fc.constant('add' as const), name: nameArb, raw: rawValueArb }),
  fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat(), edit: fc.option(rawValueArb, { nil: undefined }) }),
  fc.record({ kind: fc.constant('metadata' as const), raw: rawValueArb, inner: fc.boolean(), key: fc.constantFrom('a', '__proto__', 'format', '') }),
  fc.record({ kind: fc.constant('root' as const), raw: rawValueArb }),
  fc.record({ kind: fc.constant('offsets' as const), index: fc.nat(), other: fc.nat(), how: fc.constantFrom('copy', 'swap', 'shift', 'grow', 'overlap'), delta: fc.integer({ min: -16, max: 16 }) }),
  fc.record({ kind: fc.constant('shape' as const), index: fc.nat(), how: fc.constantFrom('double', 'zero', 'append1', 'drop', 'huge') }),
  fc.record({ kind: fc.constant('dtype' as const), index: fc.nat(), dtype: fc.constantFrom(...DTYPES) }),
  fc.record({ kind: fc.constant('padding' as const), text: fc.constantFrom(' ', '\t\n', '\0', '}', ',', ' {}', '\u00a0', '\ufeff', '// c') }),
);
type JsonMutation = typeof jsonMutationArb extends fc.Arbitrary<infer T> ? T : never;

function applyJsonMutation(pairs: Pair[], m: JsonMutation): { pairs: Pair[]; root?: string; padding?: string } {
  const out = pairs.map((p) => [...p] as Pair);
  const tensorIdx = out.map((p, i) => (p[0] === '__metadata__' ? -1 : i)).filter((i) => i >= 0);
  const pick = (n: number) => (tensorIdx.length ? tensorIdx[n % tensorIdx.length]! : -1);
  const offsetsOf = (i: number): [number, number] | undefined => {
    try {
      const o = JSON.parse(out[i]![1]).data_offsets;
      return Array.isArray(o) && o.length === 2 ? [o[0], o[1]] : undefined;
    } catch {
      return undefined;
    }
  };
  switch (m.kind) {
    case 'field': {
      const i = pick(m.index);
      if (i >= 0) out[i]![1] = editEntry(out[i]![1], m.field, m.raw);
      break;
    }
    case 'delete': {
      const i = pick(m.index);
      if (i >= 0) out[i]![1] = editEntry(out[i]![1], m.field, null);
      break;
    }
    case 'entry': {
      const i = pick(m.index);
      if (i >= 0) out[i]![1] = m.raw;
      break;
    }
    case 'add':
      out.push([m.name, m.raw]);
      break;
    case 'duplicate': {
      const i = pick(m.index);
      if (i >= 0) out.push([out[i]![0], m.edit === undefined ? out[i]![1] : editEntry(out[i]![1], 'data_offsets', m.edit)]);
      break;
    }
    case 'metadata': {
      const value = m.inner ? `{${JSON.stringify(m.key)}:${m.raw}}` : m.raw;
      const at = out.findIndex((p) => p[0] === '__metadata__');
      if (at >= 0 && m.inner && m.key === 'a') out.push(['__metadata__', value]); // a duplicate __metadata__
      else if (at >= 0) out[at]![1] = value;
      else out.unshift(['__metadata__', value]);
      break;
    }
    case 'root':
      return { pairs: out, root: m.raw };
    case 'offsets': {
      const i = pick(m.index);
      const j = pick(m.other);
      if (i < 0) break;
      const a = offsetsOf(i);
      const b = offsetsOf(j);
      if (!a) break;
      let next: [number, number] = a;
      if (m.how === 'copy' && b) next = b;
      else if (m.how === 'swap') next = [a[1], a[0]];
      else if (m.how === 'shift') next = [a[0] + m.delta, a[1] + m.delta];
      else if (m.how === 'grow') next = [a[0], a[1] + m.delta];
      else if (m.how === 'overlap' && b) next = [b[0] + Math.abs(m.delta % 4), b[0] + Math.abs(m.delta % 4) + (a[1] - a[0])];
      out[i]![1] = editEntry(out[i]![1], 'data_offsets', JSON.stringify(next));
      break;
    }
    case 'shape': {
      const i = pick(m.index);
      if (i < 0) break;
      let shape: number[];
      try {
        shape = JSON.parse(out[i]![1]).shape;
        if (!Array.isArray(shape)) break;
      } catch {
        break;
      }
      const next =
        m.how === 'double' ? shape.map((d) => d * 2) : m.how === 'zero' ? [0, ...shape] : m.how === 'append1' ? [...shape, 1] : m.how === 'drop' ? shape.slice(1) : [2 ** 31, 2 ** 31, 2 ** 31, ...shape];
      out[i]![1] = editEntry(out[i]![1], 'shape', JSON.stringify(next));
      break;
    }
    case 'dtype': {
      const i = pick(m.index);
      if (i >= 0) out[i]![1] = editEntry(out[i]![1], 'dtype', JSON.stringify(m.dtype));
      break;
    }
    case 'padding':
      return { pairs: out, padding: m.text };
  }
  return { pairs: out };
}

/** A file from header text and a data section; the length field is the text's byte length unless forced. */
function assemble(headerText: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function splitValid(bytes: Uint8Array): { pairs: Pair[]; data: Uint8Array } {
  const { dataStart, json } = rawHeader(bytes);
  return { pairs: Object.entries(json).map(([k, v]) => [k, JSON.stringify(v)] as Pair), data: bytes.subarray(dataStart) };
}

const lengthFieldArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 2n, 7n, 8n, BigInt(MAX_HEADER_LENGTH), BigInt(MAX_HEADER_LENGTH + 1), 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.integer({ min: -24, max: 24 }).map((d) => d), // relative to the true length
);

// ---------------------------------------------------------------------------------------------------------
// The runs (10,500 generated inputs plus the hand-written ones).

describe('fuzzing the safetensors reader', () => {
  test('valid files written by writeSafetensors read back exactly (600 runs)', () => {
    fc.assert(
      fc.property(validArb, fc.boolean(), (v, allowGaps) => {
        expect(check(v.bytes, allowGaps)).toBe('ok');
        const file = readSafetensors(v.bytes);
        expect([...file.tensors.keys()].sort()).toEqual(v.tensors.map((t) => t.name).sort());
        for (const t of v.tensors) {
          const got = file.tensors.get(t.name)!;
          expect(got.dtype).toBe(t.dtype);
          expect(got.shape).toEqual(t.shape);
          expect(got.data).toEqual(t.data);
        }
        expect({ ...file.metadata }).toEqual({ ...(v.metadata ?? {}) });
      }),
      params(600),
    );
  }, 60_000);

  test('a valid file cut anywhere is diagnosed by where the cut is (500 runs)', () => {
    // The sniffing for other formats (pickle 0x80, HTML '<') must not mistake a truncated safetensors file whose
    // header length happens to start with such a byte for something else.
    fc.assert(
      fc.property(validArb, fc.nat(), (v, at) => {
        const { dataStart } = rawHeader(v.bytes);
        const cut = at % v.bytes.length;
        const want = cut === 0 ? 'WEIGHTS_EMPTY' : cut < 8 ? 'WEIGHTS_NOT_SAFETENSORS' : cut < dataStart ? 'WEIGHTS_HEADER_PAST_END' : 'WEIGHTS_BAD_OFFSETS';
        expect(check(v.bytes.slice(0, cut))).toBe(want);
      }),
      params(500),
    );
  });

  test('byte flips, truncations, extensions and forged length fields (3,400 runs)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), inHeader: fc.boolean() }), { minLength: 1, maxLength: 6 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('length' as const), field: lengthFieldArb }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x22, 0x2c, 0x2d, 0x30, 0x5b, 0x5d, 0x7b, 0x7d, 0x80, 0xc0, 0xff) }),
    );
    fc.assert(
      fc.property(validArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (v, mutations, allowGaps) => {
        let bytes = v.bytes.slice();
        for (const m of mutations) {
          const headerEnd = bytes.length < 8 ? bytes.length : Math.min(bytes.length, 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
          if (m.kind === 'flip') {
            for (const f of m.flips) {
              if (bytes.length === 0) break;
              const at = f.inHeader ? f.at % Math.max(1, Math.min(bytes.length, headerEnd)) : f.at % bytes.length;
              bytes[at]! ^= f.xor;
            }
          } else if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
          else if (m.kind === 'extend') {
            const longer = new Uint8Array(bytes.length + m.extra.length);
            longer.set(bytes);
            longer.set(m.extra, bytes.length);
            bytes = longer;
          } else if (m.kind === 'length') {
            if (bytes.length < 8) continue;
            const view = new DataView(bytes.buffer, bytes.byteOffset);
            const field = typeof m.field === 'bigint' ? m.field : BigInt(Math.max(0, Number(view.getBigUint64(0, true)) + m.field));
            view.setBigUint64(0, field, true);
          } else if (bytes.length > 0) bytes[m.at % Math.max(1, Math.min(bytes.length, headerEnd))] = m.value;
        }
        check(bytes, allowGaps);
      }),
      params(3400),
    );
  }, 60_000);

  test('JSON mutations: dtype, shape, data_offsets, overlaps, edge numbers, nesting, duplicates, metadata (4,000 runs)', () => {
    fc.assert(
      fc.property(
        validArb,
        fc.array(jsonMutationArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: -8, max: 8 }),
        fc.boolean(),
        fc.boolean(),
        (v, mutations, dataDelta, padTo8, allowGaps) => {
          let { pairs, data } = splitValid(v.bytes);
          let root: string | undefined;
          let padding = '';
          for (const m of mutations) {
            let r: ReturnType<typeof applyJsonMutation>;
            try {
              r = applyJsonMutation(pairs, m);
            } catch (e) {
              if (e instanceof RangeError) continue; // the test's own JSON.stringify of a value an earlier mutation nested deeply
              throw e;
            }
            pairs = r.pairs;
            root ??= r.root;
            padding += r.padding ?? '';
          }
          let text = (root ?? `{${pairs.map(([k, val]) => `${JSON.stringify(k)}:${val}`).join(',')}}`) + padding;
          if (padTo8) text += ' '.repeat((8 - (new TextEncoder().encode(text).length % 8)) % 8);
          if (dataDelta < 0) data = data.subarray(0, Math.max(0, data.length + dataDelta));
          else if (dataDelta > 0) data = Uint8Array.from([...data, ...filler(dataDelta, 7)]);
          check(assemble(text, data), allowGaps);
        },
      ),
      params(4000),
    );
  }, 60_000);

  test('random bytes, random JSON headers and random headers of plausible tensors (2,500 runs)', () => {
    const plausibleEntry = fc.record({
      dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.string({ maxLength: 4 })),
      shape: fc.array(fc.oneof(fc.nat({ max: 6 }), fc.integer({ min: -3, max: 3 }), fc.double()), { maxLength: 4 }),
      data_offsets: fc.array(fc.oneof(fc.nat({ max: 80 }), fc.integer({ min: -8, max: 8 }), fc.double()), { minLength: 1, maxLength: 3 }),
    });
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ bytes: b })),
      // A believable length field and '{', then random bytes.
      fc.tuple(fc.nat({ max: 200 }), fc.uint8Array({ maxLength: 240 })).map(([n, rest]) => {
        const b = new Uint8Array(9 + rest.length);
        new DataView(b.buffer).setBigUint64(0, BigInt(Math.min(n, rest.length + 1)), true);
        b[8] = 0x7b;
        b.set(rest, 9);
        return { bytes: b };
      }),
      fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat({ max: 64 })).map(([j, n]) => ({ bytes: assemble(JSON.stringify(j) ?? 'null', filler(n, n)) })),
      fc
        .tuple(fc.dictionary(nameArb, plausibleEntry, { maxKeys: 5 }), fc.nat({ max: 96 }))
        .map(([header, n]) => ({ bytes: assemble(JSON.stringify(header), filler(n, n + 1)) })),
    );
    fc.assert(
      fc.property(input, fc.boolean(), ({ bytes }, allowGaps) => {
        check(bytes, allowGaps);
      }),
      params(2500),
    );
  }, 60_000);

  test('hand-picked hostile inputs', () => {
    const deep = (d: number) => '['.repeat(d) + ']'.repeat(d);
    const t = (dtype: string, shape: string, offsets: string) => `{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;
    const expectCode = (text: string, dataSize: number, code: string) => expect(check(assemble(text, filler(dataSize, 3))), text.slice(0, 80)).toBe(code);
    // Deep nesting anywhere must give a clean WEIGHTS_* error (JSON.stringify of such a value overflows the stack).
    expectCode(`{"x":${t(deep(50_000), '[]', '[0,4]')}}`, 4, 'WEIGHTS_BAD_DTYPE');
    expectCode(`{"x":${t('"F32"', deep(50_000), '[0,4]')}}`, 4, 'WEIGHTS_BAD_JSON');
    expectCode(`{"x":${t('"F32"', '[]', deep(50_000))}}`, 4, 'WEIGHTS_BAD_OFFSETS');
    expectCode(`{"x":${deep(500_000)}}`, 0, 'WEIGHTS_BAD_JSON');
    expectCode(`{"__metadata__":${deep(500_000)}}`, 0, 'WEIGHTS_BAD_JSON');
    expectCode(`{"__metadata__":{"k":${deep(100_000)}}}`, 0, 'WEIGHTS_BAD_JSON');
    // Control characters in names and values stay out of the one-line message.
    expectCode(`{"a\\nb\\r\\u2028":${t('"Q\\n4"', '[1]', '[0,4]')}}`, 4, 'WEIGHTS_BAD_DTYPE');
    expectCode(`{"__metadata__":{"line\\nbreak":1}}`, 0, 'WEIGHTS_BAD_JSON');
    // A readable file whose names hold line breaks and an escape code: validateResNet50 quotes them in one line.
    expectCode(`{"a\\nb":${t('"U8"', '[2]', '[0,2]')},"\\u001b[2Jc\\r":${t('"U8"', '[2]', '[2,4]')}}`, 4, 'ok');
    expect(() => validateResNet50(readSafetensors(assemble(`{"a\\nb":${t('"U8"', '[4]', '[0,4]')}}`, filler(4, 3))))).toThrow(/^[^\n\r\u001b]*$/);
    // Huge values are refused, and the message stays short even for a 1 MB name or a 100,000-element shape.
    expectCode(`{${JSON.stringify('n'.repeat(1 << 20))}:${t('"F32"', '[3]', '[0,4]')}}`, 4, 'WEIGHTS_SHAPE_MISMATCH');
    expectCode(`{"x":${t('"F32"', `[${Array(100_000).fill(-1).join(',')}]`, '[0,4]')}}`, 4, 'WEIGHTS_BAD_JSON');
    expectCode(`{"x":${t('"F32"', '[1]', `[0,${'9'.repeat(400)}]`)}}`, 4, 'WEIGHTS_BAD_OFFSETS');
    expectCode(`{"x":${t('"F32"', '[4294967296,4294967296]', '[0,4]')}}`, 4, 'WEIGHTS_SHAPE_MISMATCH');
    expectCode(`{"x":${t('"F32"', '[1e400]', '[0,4]')}}`, 4, 'WEIGHTS_BAD_JSON');
    expectCode(`{"x":${t('"F32"', '[0,1e400]', '[0,0]')}}`, 0, 'WEIGHTS_BAD_JSON');
    // Shapes whose product overflows to Infinity or NaN (0 x Infinity) cannot match any byte count.
    expectCode(`{"x":${t('"F32"', `[${Array(40).fill(9007199254740991).join(',')}]`, '[0,4]')}}`, 4, 'WEIGHTS_SHAPE_MISMATCH');
    expectCode(`{"x":${t('"F32"', `[${Array(40).fill(9007199254740991).join(',')},0]`, '[0,0]')}}`, 0, 'WEIGHTS_SHAPE_MISMATCH');
    // __metadata__ of the wrong types.
    for (const meta of ['null', '1', '"s"', '[]', '["a"]', '{"a":1}', '{"a":null}', '{"a":{}}', '{"a":["b"]}', 'true']) {
      expectCode(`{"__metadata__":${meta}}`, 0, 'WEIGHTS_BAD_JSON');
    }
    // Keys that are special to JavaScript objects are ordinary names here.
    expectCode(`{"__metadata__":{"__proto__":"p","constructor":"c","toString":"t"},"__proto__":${t('"U8"', '[2]', '[0,2]')},"hasOwnProperty":${t('"U8"', '[2]', '[2,4]')}}`, 4, 'ok');
    expect(readSafetensors(assemble(`{"__metadata__":{"__proto__":"p"}}`, new Uint8Array(0))).metadata).toHaveProperty(['__proto__'], 'p');
    // Duplicate keys: the last one counts (JSON.parse; Python's json does the same); the result stays consistent.
    expectCode(`{"x":${t('"U8"', '[4]', '[0,4]')},"x":${t('"U8"', '[2]', '[0,2]')}}`, 4, 'WEIGHTS_BAD_OFFSETS');
    expectCode(`{"x":${t('"U8"', '[2]', '[0,2]')},"x":${t('"U8"', '[4]', '[0,4]')}}`, 4, 'ok');
    // Zero-length tensors: anywhere on the boundary is fine, inside another tensor is an overlap.
    expectCode(`{"a":${t('"U8"', '[4]', '[0,4]')},"e":${t('"U8"', '[0]', '[2,2]')}}`, 4, 'WEIGHTS_OVERLAP');
    expectCode(`{"a":${t('"U8"', '[4]', '[0,4]')},"e":${t('"U8"', '[0]', '[4,4]')},"f":${t('"F64"', '[0,9]', '[0,0]')}}`, 4, 'ok');
    // A header length that points inside a UTF-8 sequence or at a NUL.
    const euro = assemble(`{"__metadata__":{"k":"€"}}`, new Uint8Array(0));
    expect(check(euro.subarray(0, euro.length - 4))).toBe('WEIGHTS_HEADER_PAST_END');
    const cut = euro.slice();
    new DataView(cut.buffer).setUint32(0, cut.length - 8 - 4, true);
    expect(check(cut)).toBe('WEIGHTS_BAD_JSON');
  }, 60_000);

  test('a file that claims enormous tensors allocates nothing of that size', () => {
    // 2^60 bytes claimed by the shape, 100 MB claimed by the length field, a 64 GiB data range.
    const claims = [
      assemble(`{"x":{"dtype":"F64","shape":[1073741824,1073741824],"data_offsets":[0,8]}}`, filler(8, 1)),
      assemble(`{"x":{"dtype":"U8","shape":[68719476736],"data_offsets":[0,68719476736]}}`, filler(8, 2)),
      assemble('{}', new Uint8Array(16), BigInt(MAX_HEADER_LENGTH)),
    ];
    for (const bytes of claims) {
      const heap = process.memoryUsage().heapUsed;
      check(bytes);
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(32 * 2 ** 20);
    }
  });

  test('large but legitimate headers parse in linear time', () => {
    // 100,000 one-byte tensors: a 6 MB header.
    const tensors = Array.from({ length: 100_000 }, (_, i) => ({ name: `t${i}`, dtype: 'U8' as const, shape: [1], data: new Uint8Array([i & 0xff]) }));
    const bytes = writeSafetensors(tensors);
    const t0 = performance.now();
    expect(readSafetensors(bytes).tensors.size).toBe(100_000);
    expect(performance.now() - t0).toBeLessThan(10_000);
  }, 60_000);

  test('at least 10,000 inputs were checked', () => {
    expect(stats.inputs).toBeGreaterThanOrEqual(10_000);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The error-code table cannot go stale.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs)$/.test(name) ? [path] : [];
  });
}

/**
 * Every literal code given to `new WgcamError('CODE', ...)`, `weightsError('CODE', ...)` or any other
 * `somethingError('CODE', ...)` helper (an all-caps first argument), across src/ (this table's file aside).
 */
function thrownCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const pattern = /\b(?:new\s+WgcamError|\w*Error)\s*\(\s*(['"`])([A-Z][A-Z0-9_]{2,})\1/g;
  for (const path of sourceFiles(SRC)) {
    if (path.endsWith('error_codes.ts')) continue;
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(pattern)) {
      const where = `${path.slice(SRC.length)}:${text.slice(0, m.index).split('\n').length}`;
      found.set(m[2]!, [...(found.get(m[2]!) ?? []), where]);
    }
  }
  return found;
}

describe('error codes', () => {
  test('src/error_codes.ts lists every code thrown in src/, and nothing else', () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(30); // the grep works
    const missing = [...thrown].filter(([code]) => !Object.prototype.hasOwnProperty.call(ERROR_CODES, code)).map(([c, w]) => `${c} (${w.join(', ')})`);
    expect(missing, 'codes thrown but not in src/error_codes.ts').toEqual([]);
    const stale = Object.keys(ERROR_CODES).filter((code) => !thrown.has(code));
    expect(stale, 'codes in src/error_codes.ts that nothing throws').toEqual([]);
    for (const code of Object.keys(WEIGHT_ERROR_CODES)) expect(ERROR_CODES, code).toHaveProperty([code]);
    for (const [code, { what, fix }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(what, code).toMatch(/\S/);
      expect(fix, code).toMatch(/\S/);
      expect(`${what}${fix}`, code).not.toMatch(/[\n|]/); // one table row each
    }
  });

  test('README.md has a Troubleshooting row for every code', () => {
    const readme = readFileSync(README, 'utf8');
    const at = readme.indexOf('\n## Troubleshooting');
    expect(at, 'README.md lacks "## Troubleshooting"').toBeGreaterThan(0);
    const next = readme.indexOf('\n## ', at + 1);
    const section = readme.slice(at, next < 0 ? undefined : next);
    const rows = new Set([...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(Object.keys(ERROR_CODES).filter((c) => !rows.has(c)), 'codes missing from the README table').toEqual([]);
    expect([...rows].filter((c) => !Object.prototype.hasOwnProperty.call(ERROR_CODES, c!)), 'README rows for unknown codes').toEqual([]);
  });
});
