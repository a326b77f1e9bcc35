// Every file wgcam writes in Node (--out, --dump, --save, synth-weights --out, bench's reports, the cache)
// goes through here. Paths are checked before any work starts, so that a bad one costs nothing: the folder
// must be writable (or creatable), the path must not be a folder, a device, a FIFO or a socket (those are
// refused, never replaced: lstat, not stat), and it must not be one of the run's inputs. Writes go to a
// temporary file in the same folder, renamed over the target only once complete; on any failure (a full
// disk included) the temporary file is removed and the target is left as it was.
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { WgcamError } from '../errors.ts';
import { quote } from '../quote.ts';

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    throw e;
  }
}

function specialKind(s: Stats): string | null {
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  return null;
}

function why(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  return code ?? 'error';
}

/**
 * The file a path names, as it will be written: a regular file or nothing yet. Refuses folders and special
 * files (a symlink is judged by what it points to, and is replaced by the new file, not written through).
 */
async function checkTarget(path: string, what: string): Promise<Stats | null> {
  let own: Stats | null;
  try {
    own = await lstatOrNull(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOTDIR') throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} cannot be written: a part of its folder path is a file, not a folder`);
    throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} cannot be checked (${why(errnoCode(e))})`);
  }
  if (!own) return null;
  const target = own.isSymbolicLink() ? await stat(path).catch(() => own) : own;
  if (target.isDirectory()) throw new WgcamError('OUTPUT_IS_FOLDER', `${what} ${quote(path)} is a folder: give a file name (one inside that folder, for instance)`);
  const kind = specialKind(target);
  if (kind) throw new WgcamError('OUTPUT_SPECIAL_FILE', `${what} ${quote(path)} is ${kind}, not a regular file: wgcam never writes to or replaces one; give a file name`);
  return target;
}

/** The nearest folder of `path` that exists; a file on the way is an error. */
async function nearestFolder(path: string, what: string, original: string): Promise<string> {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    let s: Stats;
    try {
      s = await stat(dir);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT' && dirname(dir) !== dir) continue;
      if (code === 'ENOTDIR') continue; // a file further up: reported when the walk reaches it
      throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(original)} cannot be written: its folder ${quote(dir)} is not reachable (${why(code)})`);
    }
    if (!s.isDirectory()) throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(original)} cannot be written: ${quote(dir)} is a file, not a folder`);
    return dir;
  }
}

/** Create and remove a probe file: the one test of writability that holds for root and read-only mounts. */
async function probeWritable(dir: string, what: string, original: string): Promise<void> {
  const probe = join(dir, `.wgcam-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(probe, 'wx');
  } catch (e) {
    throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(original)} cannot be written: the folder ${quote(dir)} is not writable (${why(errnoCode(e))})`);
  }
  await handle.close();
  await unlink(probe).catch(() => undefined);
}

export interface OutputCheckOptions {
  /** What the path is for, in messages ("--dump", "--out"). */
  what: string;
  /** The run's input files: the output may not be one of them. */
  inputs?: readonly string[];
}

/** Check that `path` can be written as a new or replaced regular file. Nothing is created. */
export async function checkOutputFile(path: string, options: OutputCheckOptions): Promise<void> {
  const what = options.what;
  if (path === '') throw new WgcamError('BAD_ARGUMENT', `${what} needs a file name, got an empty string`);
  if (/[/\\]$/.test(path)) throw new WgcamError('OUTPUT_IS_FOLDER', `${what} ${quote(path)} ends with a slash, so it names a folder: give a file name`);
  const existing = await checkTarget(path, what);
  for (const input of options.inputs ?? []) {
    if (await sameFile(path, existing, input)) {
      throw new WgcamError('OUTPUT_IS_INPUT', `${what} ${quote(path)} is the input ${quote(input)}: wgcam never overwrites its inputs; choose another file name`);
    }
  }
  await probeWritable(await nearestFolder(path, what, path), what, path);
}

/** Check that `path` is, or can be created as, a writable folder. Nothing is created. */
export async function checkOutputFolder(path: string, options: OutputCheckOptions): Promise<void> {
  const what = options.what;
  if (path === '') throw new WgcamError('BAD_ARGUMENT', `${what} needs a folder name, got an empty string`);
  let s: Stats | null;
  try {
    s = await stat(path);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOTDIR') throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} cannot be created: a part of its path is a file, not a folder`);
    if (code !== 'ENOENT') throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} cannot be checked (${why(code)})`);
    s = null;
  }
  if (s && !s.isDirectory()) throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} exists and is not a folder: several outputs need a folder`);
  const dir = s ? resolve(path) : await nearestFolder(join(path, 'x'), what, path);
  await probeWritable(dir, what, path);
}

async function sameFile(path: string, existing: Stats | null, input: string): Promise<boolean> {
  if (resolve(path) === resolve(input)) return true;
  if (!existing) return false;
  const other = await stat(input).catch(() => null);
  return other !== null && other.dev === existing.dev && other.ino === existing.ino;
}

/** Several outputs of one run must differ from each other. */
export function checkDistinct(outputs: ReadonlyArray<readonly [what: string, path: string]>): void {
  const seen = new Map<string, string>();
  for (const [what, path] of outputs) {
    const key = resolve(path);
    const first = seen.get(key);
    if (first !== undefined) throw new WgcamError('BAD_ARGUMENT', `${first} and ${what} are the same file ${quote(path)}: give each output its own name`);
    seen.set(key, what);
  }
}

export interface WriteOptions {
  /** What the path is for, in messages; default "output". */
  what?: string;
  /** Writes the bytes into the open temporary file (tests inject failures here). */
  write?: (handle: FileHandle, bytes: Uint8Array) => Promise<void>;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.byteLength - at);
    at += bytesWritten;
  }
}

/**
 * Write `bytes` to `path` through a temporary file in the same folder and a rename (atomic on one file
 * system): the target holds either its old contents or all the new ones, and no temporary file outlives a
 * failure. The folder is created when missing; special files and folders at `path` are refused.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
  const what = options.what ?? 'output';
  const dir = dirname(path) || '.';
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new WgcamError('OUTPUT_NOT_WRITABLE', `${what} ${quote(path)} cannot be written: its folder cannot be created (${why(errnoCode(e))})`);
  }
  await checkTarget(path, what);
  // Short and unique, hidden, and marked as wgcam's own; the target's name is cut to stay within NAME_MAX.
  const tmp = join(dir, `.${[...basename(path)].slice(0, 40).join('')}.${process.pid}.${randomBytes(4).toString('hex')}.wgcam-tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', 0o666);
    await (options.write ?? writeAll)(handle, bytes);
    await handle.close();
    handle = undefined;
    await checkTarget(path, what); // a special file may have appeared meanwhile
    await rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (e instanceof WgcamError) throw e;
    throw new WgcamError('OUTPUT_WRITE_FAILED', `writing ${what} ${quote(path)} failed (${why(errnoCode(e))}): nothing was written; free some space or choose another folder`);
  }
}

/** A picture's name as a file-name stem: its extension dropped, only characters no file system refuses. */
export function fileStem(name: string): string {
  const stem = name.replace(/\.[^./\\]*$/, '').replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, '_');
  return stem === '' || stem === '.' || stem === '..' ? '_' : stem;
}

/** Stems made unique within one run: a repeated `name` becomes `name-1`, `name-2`, ... */
export function uniqueStems(stems: readonly string[]): string[] {
  const used = new Set<string>();
  return stems.map((stem) => {
    let name = stem;
    for (let i = 1; used.has(name.toLowerCase()); i++) name = `${stem}-${i}`;
    used.add(name.toLowerCase());
    return name;
  });
}
