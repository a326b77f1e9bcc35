// Getting weights, the parts that run anywhere (browser and Node): the pretrained file's identity, parsing
// bytes into checked float32 tensors, a streamed download with progress, and SHA-256.
import { WgcamError } from '../errors.ts';
import { quote } from '../quote.ts';
import { validateResNet50 } from './resnet50_spec.ts';
import { readSafetensors, weightsError } from './safetensors.ts';

export { WEIGHT_ERROR_CODES, type WeightErrorCode } from './safetensors.ts';

/** 'pretrained', 'synthetic', or a path / http(s) URL of a .safetensors file. */
export type WeightsSource = 'pretrained' | 'synthetic' | (string & {});

export interface PretrainedInfo {
  url: string;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
  /** Also the cache file's base name. */
  name: string;
}

/** torchvision's ResNet50 ImageNet weights (IMAGENET1K_V1) as timm republishes them, in safetensors. */
export const PRETRAINED: PretrainedInfo = {
  url: 'https://huggingface.co/timm/resnet50.tv_in1k/resolve/main/model.safetensors',
  sha256: '5d061a3c593d795bfe682d9b152bafbcf550579873492def3515b46db1189888',
  name: 'resnet50.tv_in1k',
};

/** The hint every failed download ends with. */
export const OFFLINE_HINT = 'pass --weights synthetic or a local .safetensors file';

export type ProgressCallback = (received: number, total: number | undefined) => void;

/** Parse and check a safetensors file holding a ResNet50 state dict; tensors are views into `bytes` when possible. */
export function loadWeightsFromBytes(bytes: Uint8Array): Map<string, Float32Array> {
  return validateResNet50(readSafetensors(bytes));
}

function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Node's fetch reports "fetch failed" and hides the real cause (DNS, refused, TLS) one level down.
  const cause = (e as Error & { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return `${e.message}${detail}`.split('\n')[0]!;
}

/** How long a download may wait: for the response (connect and headers), and between two pieces of its body. */
export interface DownloadTimeouts {
  /** Milliseconds from the request to the response's headers; default DEFAULT_DOWNLOAD_TIMEOUT_MS. */
  connectMs?: number;
  /** Milliseconds without a byte of the body; default DEFAULT_DOWNLOAD_TIMEOUT_MS. */
  idleMs?: number;
}

/** 30 s: a server that accepts and never answers fails this fast (Node's own limit is 300 s). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

/**
 * Download `url` into memory, streaming the body and reporting progress (total is undefined when the server
 * sends no Content-Length). Any failure, including an HTTP error status or a body shorter than announced, is
 * a WgcamError DOWNLOAD_FAILED; a server that stops answering, DOWNLOAD_TIMEOUT.
 */
export async function downloadWithProgress(
  url: string,
  onProgress?: ProgressCallback,
  fetchImpl: typeof fetch = globalThis.fetch,
  timeouts: DownloadTimeouts = {},
): Promise<Uint8Array> {
  const shown = quote(url);
  const failed = (why: string) => weightsError('DOWNLOAD_FAILED', `cannot download ${shown} (${why}): check the network, or ${OFFLINE_HINT}`);
  const connectMs = timeouts.connectMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const idleMs = timeouts.idleMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  // One abort for both limits; `stalled` says which one fired.
  const controller = new AbortController();
  let stalled: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number, why: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = why;
      controller.abort();
    }, ms);
  };
  const timedOut = () =>
    new WgcamError('DOWNLOAD_TIMEOUT', `cannot download ${shown}: ${stalled}; check the network or the server (limits: WGCAM_CONNECT_TIMEOUT_S, WGCAM_IDLE_TIMEOUT_S), or ${OFFLINE_HINT}`);
  const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;
  try {
    let response: Response;
    arm(connectMs, `no answer within ${seconds(connectMs)} (connect timeout)`);
    try {
      response = await fetchImpl(url, { signal: controller.signal });
    } catch (e) {
      throw stalled ? timedOut() : failed(reason(e));
    }
    clearTimeout(timer);
    if (!response.ok) throw failed(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    return await readBody(response, onProgress, failed, () => (stalled ? timedOut() : undefined), (received) =>
      arm(idleMs, `no data for ${seconds(idleMs)} after ${received} bytes (idle timeout)`),
    );
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(
  response: Response,
  onProgress: ProgressCallback | undefined,
  failed: (why: string) => WgcamError,
  timedOut: () => WgcamError | undefined,
  waiting: (received: number) => void,
): Promise<Uint8Array> {
  const lengthHeader = response.headers.get('content-length');
  const announced = lengthHeader !== null && /^\d+$/.test(lengthHeader.trim()) ? Number(lengthHeader) : undefined;
  // With Content-Encoding the header counts compressed bytes, not the bytes the stream yields: no total then.
  const total = response.headers.get('content-encoding') ? undefined : announced;
  const body = response.body;
  if (!body) {
    // Environments without streams: one buffer, no intermediate progress.
    try {
      waiting(0);
      const all = new Uint8Array(await response.arrayBuffer());
      onProgress?.(all.length, total ?? all.length);
      return all;
    } catch (e) {
      throw timedOut() ?? failed(reason(e));
    }
  }

  // A known length gets one buffer of that size, filled in place; otherwise chunks are joined at the end.
  let buffer: Uint8Array | undefined;
  try {
    buffer = total !== undefined ? new Uint8Array(total) : undefined;
  } catch {
    buffer = undefined; // an absurd Content-Length: do not trust it
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = body.getReader();
  try {
    onProgress?.(0, total);
    for (;;) {
      waiting(received);
      const { done, value } = await reader.read();
      if (done) break;
      if (buffer && received + value.length > buffer.length) {
        // More than announced: fall back to chunks rather than trusting the header.
        chunks.push(buffer.subarray(0, received));
        buffer = undefined;
      }
      if (buffer) buffer.set(value, received);
      else chunks.push(value);
      received += value.length;
      onProgress?.(received, total);
    }
  } catch (e) {
    throw timedOut() ?? failed(`the connection broke after ${received} bytes: ${reason(e)}`);
  } finally {
    reader.releaseLock();
  }
  if (buffer) {
    if (received !== buffer.length) throw failed(`got ${received} of ${buffer.length} bytes`);
    return buffer;
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Lower-case hex SHA-256, through WebCrypto (globalThis.crypto in Node 20 and browsers' secure contexts). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new WgcamError('NO_WEBCRYPTO', 'crypto.subtle is unavailable (the page is not served over https or localhost): serve it from a secure context');
  }
  // digest() takes ArrayBuffer-backed views only; copy anything else (e.g. a SharedArrayBuffer view).
  const input = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await subtle.digest('SHA-256', input));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export interface LoadWeightsFromUrlOptions {
  onProgress?: ProgressCallback;
  /** Lower-case hex SHA-256 the file must have (PRETRAINED.sha256 for the pretrained file); unchecked if absent. */
  sha256?: string;
  fetchImpl?: typeof fetch;
}

/**
 * Download a ResNet50 safetensors file (streamed, with progress), check its SHA-256 when one is given, and parse
 * it: `loadWeightsFromUrl(PRETRAINED.url, { sha256: PRETRAINED.sha256 })` for the pretrained weights. Nothing is
 * cached; a page that wants the file kept puts the bytes in Cache Storage and calls loadWeightsFromBytes.
 */
export async function loadWeightsFromUrl(url: string, options: LoadWeightsFromUrlOptions = {}): Promise<Map<string, Float32Array>> {
  const bytes = await downloadWithProgress(url, options.onProgress, options.fetchImpl);
  if (options.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (actual !== options.sha256.toLowerCase()) {
      throw weightsError('CHECKSUM_MISMATCH', `the file downloaded from ${url} has SHA-256 ${actual}, expected ${options.sha256}: try again, or ${OFFLINE_HINT}`);
    }
  }
  return loadWeightsFromBytes(bytes);
}
