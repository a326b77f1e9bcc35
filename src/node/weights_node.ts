// Node side of getting weights: local files, URLs, the SHA-256-checked cache of the pretrained file, and the
// synthetic generator. The cache only ever holds verified files: downloads are checked in memory, written to
// a temporary file beside the target and renamed into place, which is atomic on one filesystem.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WgcamError } from '../errors.ts';
import { validateResNet50 } from '../model/resnet50_spec.ts';
import { formatSize, readSafetensors, weightsError } from '../model/safetensors.ts';
import { SYNTHETIC_NAME, syntheticSafetensors } from '../model/synthetic.ts';
import {
  OFFLINE_HINT,
  PRETRAINED,
  downloadWithProgress,
  sha256Hex,
  type PretrainedInfo,
  type ProgressCallback,
  type WeightsSource,
} from '../model/weights.ts';

export interface LoadWeightsOptions {
  onProgress?: ProgressCallback;
  /** Where the pretrained file is cached; default: defaultCacheDir(). */
  cacheDir?: string;
  /** Which file 'pretrained' means (tests substitute their own URL and checksum). */
  pretrained?: PretrainedInfo;
  fetchImpl?: typeof fetch;
}

export interface LoadedWeights {
  /** Float32 tensors keyed by torchvision name; views into `bytes` where the file allows. */
  weights: Map<string, Float32Array>;
  /** The safetensors file, kept so that a lost GPU device can be reloaded without reading it again. */
  bytes: Uint8Array;
  /** One line for --verbose: what was loaded, from where. */
  description: string;
}

/** $WGCAM_CACHE, else $XDG_CACHE_HOME/wgcam, else ~/.cache/wgcam. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.WGCAM_CACHE) return env.WGCAM_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'wgcam');
  return join(homedir(), '.cache', 'wgcam');
}

export function pretrainedCachePath(cacheDir: string = defaultCacheDir(), info: PretrainedInfo = PRETRAINED): string {
  return join(cacheDir, `${info.name}.safetensors`);
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Read a whole file into one buffer of exactly its size (no intermediate copies). */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be opened (${code ?? String(e)})`;
    throw weightsError('FILE_NOT_FOUND', `weights file ${path} ${why}: check the path, or use --weights pretrained or synthetic`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw weightsError('FILE_NOT_FOUND', `weights path ${path} is a directory: give the .safetensors file inside it`);
    if (stat.size === 0) throw weightsError('WEIGHTS_EMPTY', `weights file ${path} is empty (0 bytes): download it again or check the path`);
    const bytes = new Uint8Array(stat.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) throw weightsError('WEIGHTS_HEADER_PAST_END', `weights file ${path} shrank while being read (${at} of ${stat.size} bytes): read it again`);
      at += bytesRead;
    }
    return bytes;
  } catch (e) {
    if (e instanceof WgcamError) throw e;
    throw weightsError('FILE_NOT_FOUND', `weights file ${path} cannot be read (${errnoCode(e) ?? String(e)}): check the file`);
  } finally {
    await handle.close();
  }
}

/** Parse and check; prefix any error with where the bytes came from, keeping its code. */
function parse(bytes: Uint8Array, where: string): { weights: Map<string, Float32Array>; metadata: Record<string, string> } {
  try {
    const file = readSafetensors(bytes);
    return { weights: validateResNet50(file), metadata: file.metadata };
  } catch (e) {
    if (e instanceof WgcamError) throw new WgcamError(e.code, `${where}: ${e.message}`);
    throw e;
  }
}

function labelOf(metadata: Record<string, string>): string {
  return metadata.weights ? `, weights=${metadata.weights}` : '';
}

/**
 * Load ResNet50 weights from `source`: 'synthetic' (generated), 'pretrained' (cached download, SHA-256
 * checked), an http(s) URL (downloaded every time, not cached) or a path / file: URL of a .safetensors file.
 */
export async function loadWeightsNode(source: WeightsSource, options: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  if (source === 'synthetic') {
    // Through the file format, so the weights are views into `bytes` and recovery can reuse them.
    const bytes = syntheticSafetensors();
    const { weights } = parse(bytes, 'synthetic weights');
    return { weights, bytes, description: `synthetic ${SYNTHETIC_NAME} (generated, ${formatSize(bytes.length)})` };
  }
  if (source === 'pretrained') return loadPretrained(options);
  if (/^https?:\/\//i.test(source)) {
    const bytes = await downloadWithProgress(source, options.onProgress, options.fetchImpl);
    const { weights, metadata } = parse(bytes, source);
    return { weights, bytes, description: `downloaded ${source} (${formatSize(bytes.length)}${labelOf(metadata)}; not cached)` };
  }
  const path = /^file:\/\//i.test(source) ? fileURLToPath(source) : source;
  const bytes = await readWholeFile(path);
  const { weights, metadata } = parse(bytes, path);
  return { weights, bytes, description: `file ${path} (${formatSize(bytes.length)}${labelOf(metadata)})` };
}

async function loadPretrained(options: LoadWeightsOptions): Promise<LoadedWeights> {
  const info = options.pretrained ?? PRETRAINED;
  const dir = options.cacheDir ?? defaultCacheDir();
  const target = pretrainedCachePath(dir, info);

  let note = '';
  let cached: Uint8Array | undefined;
  try {
    cached = await readWholeFile(target);
  } catch (e) {
    if (!(e instanceof WgcamError)) throw e;
    // Missing is the usual case; an empty or unreadable cache entry is simply replaced.
  }
  if (cached) {
    if ((await sha256Hex(cached)) === info.sha256.toLowerCase()) {
      const { weights } = parse(cached, target);
      return { weights, bytes: cached, description: `pretrained ${info.name} (cached ${target}, SHA-256 verified)` };
    }
    // A corrupt cache entry (interrupted copy, disk error, edited by hand): drop it before anything else.
    cached = undefined;
    await unlink(target).catch(() => undefined);
    note = '; the cached copy was corrupt and has been replaced';
  }

  let bytes: Uint8Array;
  try {
    bytes = await downloadWithProgress(info.url, options.onProgress, options.fetchImpl);
  } catch (e) {
    if (e instanceof WgcamError && e.code === 'DOWNLOAD_FAILED') {
      throw new WgcamError(e.code, `${e.message}; or, offline, copy the file to ${target} (see weights/README.md)`);
    }
    throw e;
  }
  const actual = await sha256Hex(bytes);
  if (actual !== info.sha256.toLowerCase()) {
    throw weightsError(
      'CHECKSUM_MISMATCH',
      `the file downloaded from ${info.url} has SHA-256 ${actual}, expected ${info.sha256}: nothing was cached; try again, or ${OFFLINE_HINT}`,
    );
  }
  const { weights } = parse(bytes, info.url);
  const cacheNote = await storeAtomically(dir, target, bytes);
  return { weights, bytes, description: `pretrained ${info.name} (downloaded from ${info.url}, SHA-256 verified, ${cacheNote}${note})` };
}

/** Write to a temporary file in the same directory, then rename. Failing to cache is not fatal. */
async function storeAtomically(dir: string, target: string, bytes: Uint8Array): Promise<string> {
  const tmp = join(dir, `.${process.pid}.${randomBytes(4).toString('hex')}.download`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, target);
    return `cached at ${target}`;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    return `not cached: ${errnoCode(e) ?? String(e)} writing ${dir}`;
  }
}
