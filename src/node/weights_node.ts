// Node side of getting weights: local files, URLs, the SHA-256-checked cache of the pretrained file, and the
// synthetic generator. The cache only ever holds verified files: downloads are checked in memory, written to
// a temporary file beside the target and renamed into place, which is atomic on one filesystem.
import { unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WgcamError } from '../errors.ts';
import { readSetting, type Environment } from '../kernels/config.ts';
import { quote, shorten } from '../quote.ts';
import { writeFileAtomic } from './output_paths.ts';
import { MAX_TENSOR_FILE_BYTES, readBounded } from './read_bounded.ts';
import { validateResNet50 } from '../model/resnet50_spec.ts';
import { formatSize, readSafetensors, weightsError } from '../model/safetensors.ts';
import { SYNTHETIC_NAME, syntheticSafetensors } from '../model/synthetic.ts';
import {
  OFFLINE_HINT,
  PRETRAINED,
  downloadWithProgress,
  sha256Hex,
  type DownloadTimeouts,
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
  /** Download limits; default: downloadTimeoutsFromEnv() (30 s each unless the environment says otherwise). */
  timeouts?: DownloadTimeouts;
}

export interface LoadedWeights {
  /** Float32 tensors keyed by torchvision name; views into `bytes` where the file allows. */
  weights: Map<string, Float32Array>;
  /** The safetensors file, kept so that a lost GPU device can be reloaded without reading it again. */
  bytes: Uint8Array;
  /** One line for --verbose: what was loaded, from where. */
  description: string;
}

/** WGCAM_CONNECT_TIMEOUT_S and WGCAM_IDLE_TIMEOUT_S (kernels/config.ts's ENVIRONMENT): seconds, > 0. */
export function downloadTimeoutsFromEnv(env: Environment = process.env): DownloadTimeouts {
  const seconds = (name: 'WGCAM_CONNECT_TIMEOUT_S' | 'WGCAM_IDLE_TIMEOUT_S') => {
    const value = readSetting(env, name);
    if (value === undefined) return undefined;
    const s = Number(value);
    if (!(s > 0 && s <= 86400)) throw new WgcamError('BAD_ARGUMENT', `${name}=${quote(value)} is not a time limit: give seconds, e.g. ${name}=30`);
    return s * 1000;
  };
  const connectMs = seconds('WGCAM_CONNECT_TIMEOUT_S');
  const idleMs = seconds('WGCAM_IDLE_TIMEOUT_S');
  return { ...(connectMs !== undefined ? { connectMs } : {}), ...(idleMs !== undefined ? { idleMs } : {}) };
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

/**
 * Read a whole weights file, bounded (MAX_TENSOR_FILE_BYTES): a regular file into one buffer of its size, a
 * pipe (`-` or /dev/stdin with data piped in) to its end; folders and devices are refused.
 */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  return readBounded(path, {
    what: 'weights file',
    maxBytes: MAX_TENSOR_FILE_BYTES,
    notFound: (m) => new WgcamError('FILE_NOT_FOUND', m),
    empty: (m) => weightsError('WEIGHTS_EMPTY', m),
    hint: 'use --weights pretrained or synthetic',
  });
}

/** The file a --weights value names: `-` is standard input, a file: URL its path. */
export function weightsPath(source: string): string {
  if (source === '-') return '/dev/stdin';
  return /^file:\/\//i.test(source) ? fileURLToPath(source) : source;
}

/** Parse and check; prefix any error with where the bytes came from, keeping its code. */
function parse(bytes: Uint8Array, where: string): { weights: Map<string, Float32Array>; metadata: Record<string, string> } {
  try {
    const file = readSafetensors(bytes);
    return { weights: validateResNet50(file), metadata: file.metadata };
  } catch (e) {
    if (e instanceof WgcamError) throw new WgcamError(e.code, `${shorten(where)}: ${e.message}`);
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
    const bytes = await downloadWithProgress(source, options.onProgress, options.fetchImpl, options.timeouts ?? downloadTimeoutsFromEnv());
    const { weights, metadata } = parse(bytes, source);
    return { weights, bytes, description: `downloaded ${source} (${formatSize(bytes.length)}${labelOf(metadata)}; not cached)` };
  }
  const path = weightsPath(source);
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
    bytes = await downloadWithProgress(info.url, options.onProgress, options.fetchImpl, options.timeouts ?? downloadTimeoutsFromEnv());
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

/** Write through a temporary file in the same folder and a rename. Failing to cache is not fatal. */
async function storeAtomically(dir: string, target: string, bytes: Uint8Array): Promise<string> {
  try {
    await writeFileAtomic(target, bytes, { what: 'the weights cache' });
    return `cached at ${target}`;
  } catch (e) {
    return `not cached: ${e instanceof Error ? e.message : String(e)} (writing ${dir})`;
  }
}
