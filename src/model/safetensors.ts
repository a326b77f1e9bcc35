// A strict reader and writer of the safetensors format (https://github.com/huggingface/safetensors):
//
//   [8 bytes: header length N, little-endian u64] [N bytes: JSON header] [data section]
//
// The header maps tensor names to { dtype, shape, data_offsets: [begin, end] } (offsets relative to the data
// section), plus an optional "__metadata__" string map. The checks follow the reference (Rust) reader, so a
// file this reader accepts is one PyTorch's `safetensors` accepts too, and every error names the tensor at
// fault. Browser-safe: no Node imports. Reading never copies tensor data; tensors are views into the file.
import { WgcamError } from '../errors.ts';

/** Every error code of weight loading, with one line for the README's troubleshooting table. */
export const WEIGHT_ERROR_CODES = {
  WEIGHTS_EMPTY: 'The weights file or download has zero bytes: download it again or check the path.',
  WEIGHTS_NOT_SAFETENSORS: 'The file is not safetensors (e.g. a PyTorch .pth/.bin pickle or an HTML error page): convert it with the Python `safetensors` package.',
  WEIGHTS_HEADER_TOO_LARGE: 'The 8-byte header length is absurd (over 100 MB): the file is not safetensors or is corrupt.',
  WEIGHTS_HEADER_PAST_END: 'The header runs past the end of the file: the file is truncated, download it again.',
  WEIGHTS_BAD_JSON: 'The JSON header does not parse or has the wrong structure: the file is corrupt.',
  WEIGHTS_BAD_DTYPE: 'A tensor has an unknown dtype, or one that cannot be used where it appears (e.g. an integer weight).',
  WEIGHTS_BAD_OFFSETS: 'A tensor\'s data_offsets are malformed, run past the end, or leave gaps: the file is truncated or corrupt.',
  WEIGHTS_OVERLAP: 'Two tensors share bytes of the data section: the file is corrupt.',
  WEIGHTS_SHAPE_MISMATCH: 'A tensor\'s byte count does not equal product(shape) x dtype size: the file is corrupt.',
  WEIGHTS_MISSING_TENSOR: 'A ResNet50 tensor is missing: use a torchvision (or timm resnet50.tv_in1k) ResNet50 state dict.',
  WEIGHTS_WRONG_SHAPE: 'A tensor has a shape other than torchvision ResNet50\'s: the weights are for another model.',
  WEIGHTS_NON_FINITE: 'A weight is NaN or infinite: the file is corrupt or the training diverged.',
  DOWNLOAD_FAILED: 'The weights could not be downloaded: check the network, or pass --weights synthetic or a local .safetensors file.',
  DOWNLOAD_TIMEOUT: 'The download stalled (no answer, or no data, for 30 s): check the network or the server; WGCAM_CONNECT_TIMEOUT_S and WGCAM_IDLE_TIMEOUT_S change the limits.',
  CHECKSUM_MISMATCH: 'The downloaded file\'s SHA-256 differs from the expected one: nothing was cached; try again.',
  FILE_NOT_FOUND: 'The weights file cannot be opened: check the path.',
} as const;

export type WeightErrorCode = keyof typeof WEIGHT_ERROR_CODES;

export function weightsError(code: WeightErrorCode, message: string): WgcamError {
  return new WgcamError(code, message);
}

/** dtype name -> bytes per element, as the reference implementation names them. */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type DType = keyof typeof DTYPE_SIZES;

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, s);
}

export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** The tensor's bytes: a view into the file, little-endian, possibly not aligned to the element size. */
  data: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, RawTensor>;
}

export interface TensorInfo {
  dtype: DType;
  shape: number[];
  /** Byte range within the data section (not the file). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** Offset of the data section in the file: 8 + N. */
  dataStart: number;
  metadata: Record<string, string>;
  /** In the header's order. */
  tensors: Map<string, TensorInfo>;
}

export interface ReadOptions {
  /**
   * Accept unused bytes between tensors and after the last one. The reference reader rejects them (they mean
   * a truncated or garbled header), so strictness is the default.
   */
  allowGaps?: boolean;
}

/** The reference implementation's limit: a longer header means the file is not safetensors. */
export const MAX_HEADER_LENGTH = 100_000_000;

const MiB = 2 ** 20;

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function formatSize(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * A name from the file, quoted for a one-line message: JSON escapes (control characters included), the line
 * and paragraph separators escaped too, and names longer than 120 characters shortened.
 */
function quote(name: string): string {
  const short = name.length > 120 ? `${name.slice(0, 100)}…(${name.length} chars)` : name;
  return JSON.stringify(short).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A header value for a message, bounded in length and depth. JSON.stringify would overflow the stack on a
 * deeply nested value (a RangeError instead of a WgcamError) and copy a huge one whole.
 */
function preview(value: unknown, depth = 0): string {
  if (typeof value === 'string') return quote(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) {
    if (depth >= 3) return value.length === 0 ? '[]' : '[…]';
    const items = value.slice(0, 8).map((v) => preview(v, depth + 1));
    if (value.length > 8) items.push(`…(${value.length} items)`);
    return `[${items.join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    if (depth >= 3) return '{…}';
    const keys = Object.keys(value);
    const items = keys.slice(0, 4).map((k) => `${quote(k.length > 40 ? `${k.slice(0, 40)}…` : k)}:${preview((value as Record<string, unknown>)[k], depth + 1)}`);
    if (keys.length > 4) items.push(`…(${keys.length} keys)`);
    return `{${items.join(',')}}`;
  }
  return String(value);
}

/** product(shape); non-safe products simply cannot match any real byte count. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Validate the first 8 bytes and return N, the header length. Needs only `first8` (at least 8 bytes) and the
 * total file size, so a streaming reader can decide how much more to read; a 9th byte, when given, tells a
 * truncated safetensors file (its header starts with '{') from another format.
 */
export function safetensorsHeaderLength(first8: Uint8Array, totalFileSize: number): number {
  if (totalFileSize === 0) throw weightsError('WEIGHTS_EMPTY', 'the weights file is empty (0 bytes): download it again or check the path');
  if (totalFileSize < 8 || first8.length < 8) {
    throw weightsError('WEIGHTS_NOT_SAFETENSORS', `the file is only ${totalFileSize} bytes, too short for safetensors: download it again or check the path`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_LENGTH) {
    // Recognise the two usual mistakes before blaming the header length.
    const sniff = sniffNotSafetensors(first8);
    if (sniff) throw weightsError('WEIGHTS_NOT_SAFETENSORS', sniff);
    const n = high * 2 ** 32 + low;
    throw weightsError('WEIGHTS_HEADER_TOO_LARGE', `the header length field says ${n} bytes (over 100 MB): this is not a safetensors file or it is corrupt; use a .safetensors file`);
  }
  if (8 + low > totalFileSize) {
    // A header length such as 0x80 or 0x3c looks like a pickle or '<': trust the header's '{' over that.
    const sniff = first8.length > 8 && first8[8] === 0x7b ? undefined : sniffNotSafetensors(first8);
    if (sniff) throw weightsError('WEIGHTS_NOT_SAFETENSORS', sniff);
    throw weightsError('WEIGHTS_HEADER_PAST_END', `the header (${low} bytes) runs past the end of the ${totalFileSize}-byte file: the file is truncated, download it again`);
  }
  return low;
}

function sniffNotSafetensors(head: Uint8Array): string | undefined {
  const b0 = head[0];
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return 'this is a zip archive (a PyTorch .pth/.pt checkpoint?), not safetensors: convert it with safetensors.torch.save_file, or use model.safetensors';
  }
  if (b0 === 0x80) return 'this is a Python pickle (a PyTorch .bin/.pth checkpoint?), not safetensors: convert it with safetensors.torch.save_file';
  if (b0 === 0x3c /* < */) return 'this looks like an HTML or XML page (an error page saved instead of the file?), not safetensors: download the file again';
  return undefined;
}

function isNonNegativeSafeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Parse and validate the header. `head` holds at least the first 8 + N bytes of the file (the whole file is
 * fine); `totalFileSize` is the size of the whole file, against which the data offsets are checked.
 */
export function parseSafetensorsHeader(head: Uint8Array, totalFileSize: number, options: ReadOptions = {}): SafetensorsHeader {
  const headerLength = safetensorsHeaderLength(head, totalFileSize);
  const dataStart = 8 + headerLength;
  if (head.length < dataStart) throw new RangeError(`parseSafetensorsHeader needs the first ${dataStart} bytes of the file, got ${head.length}`);
  const dataSize = totalFileSize - dataStart;
  const jsonBytes = head.subarray(8, dataStart);

  // The reference reader requires the header to start with '{'; this also catches most non-safetensors files.
  if (jsonBytes[0] !== 0x7b) {
    const sniff = sniffNotSafetensors(head);
    if (sniff) throw weightsError('WEIGHTS_NOT_SAFETENSORS', sniff);
    throw weightsError('WEIGHTS_NOT_SAFETENSORS', 'the header does not start with "{": this is not a safetensors file; use a .safetensors file');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (e) {
    // V8 quotes the offending JSON, which may hold line breaks: escape them and keep the message short.
    const why = (e instanceof Error ? e.message.split('\n')[0]! : String(e)).slice(0, 200).replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    throw weightsError('WEIGHTS_BAD_JSON', `the safetensors header is not valid JSON (${why}): the file is corrupt, download it again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw weightsError('WEIGHTS_BAD_JSON', 'the safetensors header is not a JSON object: the file is corrupt, download it again');
  }

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw weightsError('WEIGHTS_BAD_JSON', '"__metadata__" in the safetensors header is not an object of strings: the file is corrupt');
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw weightsError('WEIGHTS_BAD_JSON', `"__metadata__" entry ${quote(k)} is not a string: the file is corrupt or not safetensors`);
        // defineProperty, not assignment: a key "__proto__" would otherwise set the prototype and be lost.
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    tensors.set(name, parseEntry(name, value, dataSize));
  }
  checkLayout(tensors, dataSize, options);
  return { headerLength, dataStart, metadata, tensors };
}

function parseEntry(name: string, value: unknown, dataSize: number): TensorInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw weightsError('WEIGHTS_BAD_JSON', `tensor ${quote(name)}: its header entry is not an object with dtype, shape, data_offsets; the file is corrupt`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) {
    throw weightsError('WEIGHTS_BAD_DTYPE', `tensor ${quote(name)} has unknown dtype ${preview(dtype)}: expected one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    throw weightsError('WEIGHTS_BAD_JSON', `tensor ${quote(name)}: shape ${preview(shape)} is not a list of non-negative integers; the file is corrupt`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeSafeInteger)) {
    throw weightsError('WEIGHTS_BAD_OFFSETS', `tensor ${quote(name)}: data_offsets ${preview(offsets)} is not a pair of non-negative integers; the file is corrupt`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw weightsError('WEIGHTS_BAD_OFFSETS', `tensor ${quote(name)}: data_offsets [${begin},${end}] end before they begin; the file is corrupt`);
  if (end > dataSize) {
    throw weightsError('WEIGHTS_BAD_OFFSETS', `tensor ${quote(name)}: data_offsets [${begin},${end}] run past the ${dataSize}-byte data section; the file is truncated, download it again`);
  }
  const expected = numel(shape) * DTYPE_SIZES[dtype];
  if (expected !== end - begin) {
    throw weightsError('WEIGHTS_SHAPE_MISMATCH', `tensor ${quote(name)}: ${dtype} ${preview(shape)} needs ${expected} bytes but data_offsets [${begin},${end}] hold ${end - begin}; the file is corrupt`);
  }
  return { dtype, shape: shape.slice(), begin, end };
}

/** No two tensors share a byte; unless allowed, the tensors also cover the data section exactly. */
function checkLayout(tensors: Map<string, TensorInfo>, dataSize: number, options: ReadOptions): void {
  const byStart = [...tensors].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let covered = 0;
  let previous: string | undefined;
  for (const [name, t] of byStart) {
    if (t.begin < covered) {
      throw weightsError('WEIGHTS_OVERLAP', `tensors ${quote(previous ?? '')} and ${quote(name)} overlap in the data section (at byte ${t.begin}): the file is corrupt`);
    }
    if (t.begin > covered && !options.allowGaps) {
      throw weightsError('WEIGHTS_BAD_OFFSETS', `tensor ${quote(name)} starts at byte ${t.begin} of the data section, leaving bytes ${covered}..${t.begin} unused: the header is inconsistent, re-save the file with Python safetensors`);
    }
    covered = t.end;
    previous = name;
  }
  if (covered !== dataSize && !options.allowGaps) {
    throw weightsError('WEIGHTS_BAD_OFFSETS', `the tensors cover ${covered} of the ${dataSize} bytes of the data section: the file has trailing bytes or a garbled header, re-save it with Python safetensors`);
  }
}

/** Parse a whole file held in memory. Tensor data are views into `bytes` (no copies). */
export function readSafetensors(bytes: Uint8Array, options: ReadOptions = {}): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, bytes.length, options);
  const tensors = new Map<string, RawTensor>();
  for (const [name, t] of header.tensors) {
    tensors.set(name, { dtype: t.dtype, shape: t.shape, data: bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end) });
  }
  return { metadata: header.metadata, tensors };
}

// ---------------------------------------------------------------------------------------------------------
// Conversions. safetensors is little-endian; typed arrays use the platform's order, which is little-endian on
// every platform WebGPU runs on, but the big-endian path is kept correct through DataView.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function wrongDtype(t: RawTensor, wanted: string, name?: string): WgcamError {
  const who = name ? `tensor ${quote(name)}` : 'tensor';
  return weightsError('WEIGHTS_BAD_DTYPE', `${who} is ${t.dtype} ${preview(t.shape)}: expected ${wanted}`);
}

/** The bytes in a buffer of their own when `data` is not aligned to `align` (typed arrays require it). */
function aligned(data: Uint8Array, align: number): Uint8Array {
  return data.byteOffset % align === 0 ? data : data.slice();
}

let halfTable: Float32Array | undefined;

/** float16 bits -> float32, for all 65536 patterns (256 KiB, built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let v: number;
    if (exponent === 0) v = mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 31) v = mantissa === 0 ? Infinity : NaN;
    else v = (1 + mantissa / 1024) * 2 ** (exponent - 15);
    table[h] = sign * v;
  }
  halfTable = table;
  return table;
}

/** One float16 bit pattern as a number (exact). */
export function halfToFloat(bits: number): number {
  return halfToFloatTable()[bits & 0xffff]!;
}

function readU16(data: Uint8Array): Uint16Array {
  const n = data.length >>> 1;
  if (LITTLE_ENDIAN) {
    const a = aligned(data, 2);
    return new Uint16Array(a.buffer, a.byteOffset, n);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

/**
 * The tensor as float32: F32 is returned as a view into the file when 4-byte aligned (a copy otherwise);
 * F16, BF16 and F64 are converted (F64 rounds to nearest). Other dtypes are refused (WEIGHTS_BAD_DTYPE).
 */
export function toFloat32(t: RawTensor, name?: string): Float32Array {
  const n = numel(t.shape);
  switch (t.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) {
        const a = aligned(t.data, 4);
        return new Float32Array(a.buffer, a.byteOffset, n);
      }
      const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const table = halfToFloatTable();
      const src = readU16(t.data);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits into place.
      const src = readU16(t.data);
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
      return new Float32Array(bits.buffer);
    }
    case 'F64': {
      const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    default:
      throw wrongDtype(t, 'a floating-point dtype (F32, F16, BF16 or F64)', name);
  }
}

/** U8 (or BOOL) data as is: a view, no copy. */
export function toUint8(t: RawTensor, name?: string): Uint8Array {
  if (t.dtype !== 'U8' && t.dtype !== 'BOOL') throw wrongDtype(t, 'U8', name);
  return t.data;
}

/** I64 data as a BigInt64Array (a view when 8-byte aligned). */
export function toBigInt64(t: RawTensor, name?: string): BigInt64Array {
  if (t.dtype !== 'I64') throw wrongDtype(t, 'I64', name);
  const n = numel(t.shape);
  if (LITTLE_ENDIAN) {
    const a = aligned(t.data, 8);
    return new BigInt64Array(a.buffer, a.byteOffset, n);
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getBigInt64(8 * i, true);
  return out;
}

/** I64 data as numbers; refuses values beyond +-2^53, which a number cannot hold exactly. */
export function toInt64Numbers(t: RawTensor, name?: string): number[] {
  const big = toBigInt64(t, name);
  const out = new Array<number>(big.length);
  for (let i = 0; i < big.length; i++) {
    const v = Number(big[i]!);
    if (!Number.isSafeInteger(v)) {
      throw weightsError('WEIGHTS_BAD_DTYPE', `${name ? `tensor ${quote(name)}` : 'tensor'} holds ${big[i]} at index ${i}, beyond what a JavaScript number holds exactly: use toBigInt64`);
    }
    out[i] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Writing.

export interface TensorToWrite {
  name: string;
  dtype: DType;
  shape: readonly number[];
  data: ArrayBufferView;
}

export type TensorsToWrite = TensorToWrite[] | Record<string, Omit<TensorToWrite, 'name'>>;

export interface SafetensorsLayout {
  /** The whole file, header written, data section zeroed. */
  bytes: Uint8Array;
  /** Per tensor, its byte range in the file (absolute offsets, not data-section offsets). */
  ranges: Map<string, { begin: number; end: number }>;
}

/**
 * Lay out a file without its data: the header is written and each tensor's range is returned, so a caller can
 * fill a large file in place (one allocation). The order is the reference writer's: larger element sizes
 * first, then by name, so every tensor is aligned to its element size given the 8-aligned data section.
 */
export function layoutSafetensors(
  entries: ReadonlyArray<{ name: string; dtype: DType; shape: readonly number[] }>,
  metadata?: Record<string, string>,
): SafetensorsLayout {
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.name === '__metadata__') throw new WgcamError('BAD_ARGUMENT', 'a tensor cannot be named "__metadata__": rename it');
    if (seen.has(e.name)) throw new WgcamError('BAD_ARGUMENT', `tensor "${e.name}" is given twice: tensor names must be unique`);
    seen.add(e.name);
    if (!isDType(e.dtype)) throw new WgcamError('BAD_ARGUMENT', `tensor "${e.name}" has unknown dtype ${JSON.stringify(e.dtype)}: use one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
    if (!e.shape.every(isNonNegativeSafeInteger)) throw new WgcamError('BAD_ARGUMENT', `tensor "${e.name}" has shape ${formatShape(e.shape)}: dimensions must be non-negative integers`);
  }
  const sorted = [...entries].sort((a, b) => DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new WgcamError('BAD_ARGUMENT', `metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const relative = new Map<string, { begin: number; end: number }>();
  let offset = 0;
  for (const e of sorted) {
    const size = numel(e.shape) * DTYPE_SIZES[e.dtype];
    // defineProperty, not assignment: a tensor named "__proto__" would otherwise vanish from the header.
    Object.defineProperty(header, e.name, { value: { dtype: e.dtype, shape: [...e.shape], data_offsets: [offset, offset + size] }, enumerable: true, writable: true, configurable: true });
    relative.set(e.name, { begin: offset, end: offset + size });
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned, as the reference does.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const dataStart = 8 + headerLength;
  const bytes = new Uint8Array(dataStart + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, dataStart);
  const ranges = new Map<string, { begin: number; end: number }>();
  for (const [name, r] of relative) ranges.set(name, { begin: dataStart + r.begin, end: dataStart + r.end });
  return { bytes, ranges };
}

/** Serialise tensors (data little-endian, as typed arrays hold them here) and string metadata. */
export function writeSafetensors(tensors: TensorsToWrite, metadata?: Record<string, string>): Uint8Array {
  const list: TensorToWrite[] = Array.isArray(tensors) ? tensors : Object.entries(tensors).map(([name, t]) => ({ name, ...t }));
  for (const t of list) {
    const expected = isDType(t.dtype) ? numel(t.shape) * DTYPE_SIZES[t.dtype] : NaN;
    if (t.data.byteLength !== expected && isDType(t.dtype)) {
      throw new WgcamError('BAD_ARGUMENT', `tensor "${t.name}": ${t.dtype} ${formatShape(t.shape)} needs ${expected} bytes but its data has ${t.data.byteLength}`);
    }
  }
  if (!LITTLE_ENDIAN) throw new WgcamError('UNSUPPORTED_PLATFORM', 'writing safetensors needs a little-endian platform');
  const { bytes, ranges } = layoutSafetensors(list, metadata);
  for (const t of list) {
    const r = ranges.get(t.name)!;
    bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), r.begin);
  }
  return bytes;
}

export { formatShape, formatSize, quote as quoteName };
