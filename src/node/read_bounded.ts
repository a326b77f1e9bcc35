// Reading an input file (image, weights, --tensor) into memory with a bound: a folder, a device (/dev/urandom,
// /dev/zero, a terminal) or a socket is refused before any byte is read; a regular file larger than the limit is
// refused from its size; a pipe (`--weights -` or `/dev/stdin` with data piped in) is read to its end, and
// refused as soon as it passes the limit. Nothing grows without bound.
import type { Stats } from 'node:fs';
import { fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { WgcamError } from '../errors.ts';
import { quote } from '../quote.ts';

/** The largest image file read: 1 GiB (a 200-megapixel PNG stored without compression is 800 MB). */
export const MAX_IMAGE_FILE_BYTES = 2 ** 30;
/** The largest weights or --tensor file read: 2 GiB (torchvision's ResNet50 is 100 MB in float32). */
export const MAX_TENSOR_FILE_BYTES = 2 ** 31;

export interface BoundedReadOptions {
  /** What the file is, in messages ("image", "weights file"). */
  what: string;
  maxBytes: number;
  /** The error for a path that is missing, a folder or a device, or that cannot be read (its code is the caller's). */
  notFound: (message: string) => WgcamError;
  /** The error for a file with no bytes. */
  empty: (message: string) => WgcamError;
  /** What to suggest after a refusal. */
  hint: string;
  /** Sees the first bytes (up to 64 KiB) before the rest is read, and may throw to stop early. */
  inspect?: (head: Uint8Array) => void;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function kindOf(s: Stats): string | null {
  if (s.isDirectory()) return 'a folder';
  if (s.isCharacterDevice()) return 'a character device (a terminal or something like /dev/urandom)';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return null;
}

const HEAD = 1 << 16;

export async function readBounded(path: string, options: BoundedReadOptions): Promise<Uint8Array> {
  const { what, maxBytes, hint } = options;
  const named = (message: string) => `${what} ${quote(path)} ${message}`;
  const notFound = (message: string) => options.notFound(named(message));
  const limit = `${(maxBytes / 2 ** 30).toFixed(0)} GiB`;
  if (path === '/dev/stdin') {
    // Standard input is read from the stream Node already has: a pipe from a parent process may be a socket,
    // which /dev/stdin cannot open. A terminal (or /dev/null) is refused: there is nothing to read from it.
    let s: Stats;
    try {
      s = fstatSync(0);
    } catch (e) {
      throw notFound(`cannot be read (${errnoCode(e) ?? String(e)}): pipe the data in`);
    }
    const kind = s.isSocket() ? null : kindOf(s);
    if (kind) throw notFound(`is ${kind}, not a file: pipe the data in (e.g. \`< model.safetensors\`), or ${hint}`);
    if (!s.isFile()) return readStream(process.stdin, options, named, limit);
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') throw notFound(`does not exist: check the path, or ${hint}`);
    if (code === 'EISDIR') throw notFound(`is a folder: give a file, or ${hint}`);
    if (code === 'EACCES' || code === 'EPERM') throw notFound(`is not readable (permission denied): check its permissions`);
    throw notFound(`cannot be opened (${code ?? String(e)}): check the path`);
  }
  try {
    const s = await handle.stat();
    const kind = kindOf(s);
    if (kind) throw notFound(`is ${kind}, not a file: give a file, or ${hint}`);
    if (s.isFile()) {
      if (s.size > maxBytes) throw new WgcamError('INPUT_TOO_LARGE', named(`has ${s.size} bytes, more than the ${limit} wgcam reads as a ${what}`));
      if (s.size === 0) throw options.empty(named(`is empty (0 bytes): copy or download it again`));
      const bytes = new Uint8Array(s.size);
      const fill = async (start: number, end: number) => {
        for (let at = start; at < end; ) {
          const { bytesRead } = await handle.read(bytes, at, end - at, at);
          if (bytesRead === 0) throw notFound(`shrank while being read (${at} of ${s.size} bytes): read it again`);
          at += bytesRead;
        }
      };
      // The head first, so that a file which is not what it should be is refused before the rest is read.
      const head = Math.min(HEAD, bytes.length);
      await fill(0, head);
      options.inspect?.(bytes.subarray(0, head));
      await fill(head, bytes.length);
      return bytes;
    }
    // A pipe: read to the end, in chunks, never past the limit.
    const chunks: Uint8Array[] = [];
    let total = 0;
    let inspected = false;
    for (;;) {
      const chunk = new Uint8Array(HEAD);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new WgcamError('INPUT_TOO_LARGE', named(`gave more than the ${limit} wgcam reads as a ${what}`));
      if (!inspected && total >= HEAD) {
        inspected = true;
        options.inspect?.(join(chunks, total));
      }
    }
    if (total === 0) throw options.empty(named(`is empty (0 bytes were read): pipe the data in, or give a file`));
    const all = join(chunks, total);
    if (!inspected) options.inspect?.(all);
    return all;
  } catch (e) {
    if (e instanceof WgcamError) throw e;
    throw notFound(`cannot be read (${errnoCode(e) ?? String(e)}): check the file`);
  } finally {
    await handle.close();
  }
}

async function readStream(stream: AsyncIterable<Uint8Array> & { destroy(): void }, options: BoundedReadOptions, named: (m: string) => string, limit: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let inspected = false;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      total += chunk.length;
      if (total > options.maxBytes) throw new WgcamError('INPUT_TOO_LARGE', named(`gave more than the ${limit} wgcam reads as a ${options.what}`));
      if (!inspected && total >= HEAD) {
        inspected = true;
        options.inspect?.(join(chunks, total));
      }
    }
  } catch (e) {
    stream.destroy();
    if (e instanceof WgcamError) throw e;
    throw options.notFound(named(`cannot be read (${errnoCode(e) ?? String(e)})`));
  }
  if (total === 0) throw options.empty(named(`is empty (0 bytes were read): pipe the data in, or give a file`));
  const all = join(chunks, total);
  if (!inspected) options.inspect?.(all);
  return all;
}

function join(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  chunks.length = 0;
  chunks.push(out);
  return out;
}
