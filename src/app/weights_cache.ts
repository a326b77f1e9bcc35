// Where the app's weights come from: the pretrained file (Cache Storage first, else a download whose SHA-256
// is checked before it is cached), any other URL (downloaded, not cached), a local file, or the synthetic
// generator. Parsing and checking are the core's (`loadWeightsFromBytes`); this module only moves bytes. It also
// keeps the GEMM autotuner's choice per adapter, the app's other piece of cached state.
import type { TuningStore } from '../kernels/gemm/tuner.ts';
import { WgcamError } from '../errors.ts';
import { PRETRAINED, OFFLINE_HINT, downloadWithProgress, loadWeightsFromBytes, sha256Hex } from '../model/weights.ts';
import { syntheticResNet50 } from '../model/synthetic.ts';

export const CACHE_NAME = 'wgcam-weights-v1';

export type WeightsKind = 'pretrained' | 'url' | 'file' | 'synthetic';

export interface LoadedWeights {
  kind: WeightsKind;
  /** For people: where the weights came from. */
  description: string;
  weights: Map<string, Float32Array>;
  /** True when the bytes came from Cache Storage (nothing downloaded). */
  fromCache: boolean;
}

export type Progress = (received: number, total: number | undefined, phase: 'download' | 'verify' | 'parse') => void;

/** The browser's wording for the core's CLI hint ("pass --weights synthetic or a local .safetensors file"). */
export function browserHint(message: string): string {
  return message.split(OFFLINE_HINT).join('choose a local .safetensors file, or the synthetic weights (for testing)');
}

function cacheStorage(): CacheStorage | null {
  try {
    return typeof caches !== 'undefined' ? caches : null;
  } catch {
    return null; // some browsers throw on access in opaque origins
  }
}

/** The pretrained file from Cache Storage, checked again (a damaged entry is deleted), or null. */
async function cachedPretrained(onProgress: Progress): Promise<Uint8Array | null> {
  const storage = cacheStorage();
  if (!storage) return null;
  try {
    const cache = await storage.open(CACHE_NAME);
    const hit = await cache.match(PRETRAINED.url);
    if (!hit) return null;
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress(bytes.length, bytes.length, 'verify');
    if ((await sha256Hex(bytes)) !== PRETRAINED.sha256) {
      await cache.delete(PRETRAINED.url);
      return null;
    }
    return bytes;
  } catch {
    return null; // storage disabled or evicted mid-read: download instead
  }
}

export async function isPretrainedCached(): Promise<boolean> {
  const storage = cacheStorage();
  if (!storage) return false;
  try {
    return (await (await storage.open(CACHE_NAME)).match(PRETRAINED.url)) !== undefined;
  } catch {
    return false;
  }
}

export async function forgetPretrained(): Promise<boolean> {
  const storage = cacheStorage();
  if (!storage) return false;
  return (await storage.open(CACHE_NAME)).delete(PRETRAINED.url);
}

async function storePretrained(bytes: Uint8Array): Promise<void> {
  const storage = cacheStorage();
  if (!storage) return;
  try {
    const cache = await storage.open(CACHE_NAME);
    const body = new Uint8Array(bytes); // a copy: the Response owns it
    await cache.put(
      PRETRAINED.url,
      new Response(body, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } }),
    );
  } catch {
    // Quota exceeded or storage disabled: the weights still work, the next visit downloads again.
  }
}

export async function loadPretrained(onProgress: Progress): Promise<LoadedWeights> {
  let bytes = await cachedPretrained(onProgress);
  const fromCache = bytes !== null;
  if (!bytes) {
    bytes = await downloadWithProgress(PRETRAINED.url, (r, t) => onProgress(r, t, 'download'));
    onProgress(bytes.length, bytes.length, 'verify');
    const digest = await sha256Hex(bytes);
    if (digest !== PRETRAINED.sha256) {
      throw new WgcamError(
        'CHECKSUM_MISMATCH',
        `the downloaded weights' SHA-256 is ${digest.slice(0, 12)}…, expected ${PRETRAINED.sha256.slice(0, 12)}…: nothing was cached; try again`,
      );
    }
    await storePretrained(bytes);
  }
  onProgress(bytes.length, bytes.length, 'parse');
  return {
    kind: 'pretrained',
    description: `ResNet50 ImageNet weights (${PRETRAINED.name})${fromCache ? ', from the browser cache' : ''}`,
    weights: loadWeightsFromBytes(bytes),
    fromCache,
  };
}

export async function loadFromUrl(url: string, onProgress: Progress): Promise<LoadedWeights> {
  const bytes = await downloadWithProgress(url, (r, t) => onProgress(r, t, 'download'));
  onProgress(bytes.length, bytes.length, 'parse');
  return { kind: 'url', description: `weights from ${url}`, weights: loadWeightsFromBytes(bytes), fromCache: false };
}

export async function loadFromFile(file: File, onProgress: Progress): Promise<LoadedWeights> {
  onProgress(0, file.size, 'parse');
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { kind: 'file', description: `weights from the file ${file.name}`, weights: loadWeightsFromBytes(bytes), fromCache: false };
}

export function loadSynthetic(): LoadedWeights {
  return {
    kind: 'synthetic',
    description: 'synthetic weights (resnet50-synthetic-v1): meaningless, for testing; explanations mean nothing',
    weights: syntheticResNet50(),
    fromCache: false,
  };
}

/** The GEMM autotuner's choice per adapter, kept in localStorage so a second visit does not measure again. */
export const localTuningStore: TuningStore = {
  async get(key) {
    try {
      return localStorage.getItem(`wgcam:${key}`) ?? undefined;
    } catch {
      return undefined; // storage disabled (private mode, sandboxed frame): measure each visit
    }
  },
  async set(key, value) {
    try {
      localStorage.setItem(`wgcam:${key}`, value);
    } catch {
      // full or disabled: the choice is only lost, never wrong
    }
  },
};
