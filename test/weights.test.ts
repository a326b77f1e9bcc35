// Getting weights: the pretrained cache (download, SHA-256 check, atomic rename, cache hits), download
// failures, local files, URLs, the synthetic source and the progress bar. fetch is mocked; the "pretrained"
// file is the synthetic safetensors file with its own checksum, passed through the options.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WgcamError } from '../src/errors.ts';
import { syntheticResNet50, syntheticSafetensors } from '../src/model/synthetic.ts';
import { PRETRAINED, downloadWithProgress, loadWeightsFromBytes, sha256Hex, type PretrainedInfo } from '../src/model/weights.ts';
import { makeProgressBar } from '../src/node/progress.ts';
import { defaultCacheDir, loadWeightsNode, pretrainedCachePath } from '../src/node/weights_node.ts';

let bytes: Uint8Array;
let sha: string;
let root: string;
let counter = 0;

beforeAll(async () => {
  bytes = syntheticSafetensors();
  sha = createHash('sha256').update(bytes).digest('hex');
  root = await mkdtemp(join(tmpdir(), 'wgcam-weights-test-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = join(root, `cache-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

const info = (sha256: string): PretrainedInfo => ({ url: 'https://weights.example/model.safetensors', sha256, name: 'test-resnet50' });

interface ServeOptions {
  chunk?: number;
  contentLength?: boolean | number;
  status?: number;
  /** Error out of the body stream after this many bytes. */
  breakAfter?: number;
}

/** A fetch that serves `body` as a stream in chunks, counting its calls. */
function serve(body: Uint8Array, options: ServeOptions = {}) {
  const calls: string[] = [];
  const chunk = options.chunk ?? 1 << 20;
  const impl = (async (input: string | URL | Request) => {
    calls.push(String(input));
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (options.breakAfter !== undefined && at >= options.breakAfter) {
          controller.error(new Error('connection reset'));
          return;
        }
        if (at >= body.length) {
          controller.close();
          return;
        }
        controller.enqueue(body.slice(at, at + chunk));
        at += chunk;
      },
    });
    const headers: Record<string, string> = {};
    if (options.contentLength !== false) headers['content-length'] = String(typeof options.contentLength === 'number' ? options.contentLength : body.length);
    return new Response(stream, { status: options.status ?? 200, headers });
  }) as typeof fetch;
  return { impl, calls };
}

const failingFetch = (async () => {
  throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND weights.example') });
}) as typeof fetch;

async function expectCode(p: Promise<unknown>, code: string, ...mentions: string[]): Promise<WgcamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(WgcamError);
  const w = err as WgcamError;
  expect(w.code, w.message).toBe(code);
  expect(w.message).not.toContain('\n');
  for (const m of mentions) expect(w.message).toContain(m);
  return w;
}

/** Byte equality without vitest's deep-equal (which walks typed arrays key by key: far too slow at 100 MB). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('core helpers', () => {
  test('PRETRAINED names the timm safetensors file and its checksum', () => {
    expect(PRETRAINED.url).toBe('https://huggingface.co/timm/resnet50.tv_in1k/resolve/main/model.safetensors');
    expect(PRETRAINED.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(PRETRAINED.name).toBe('resnet50.tv_in1k');
  });

  test('sha256Hex: known vector, and agrees with node:crypto', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(bytes)).toBe(sha);
    expect(await sha256Hex(bytes.subarray(3, 1000))).toBe(createHash('sha256').update(bytes.subarray(3, 1000)).digest('hex'));
  });

  test('loadWeightsFromBytes gives the synthetic weights', () => {
    const weights = loadWeightsFromBytes(bytes);
    expect(weights.size).toBe(267);
    expect(sameBits(weights.get('layer3.1.conv2.weight')!, syntheticResNet50().get('layer3.1.conv2.weight')!)).toBe(true);
  });

  test('downloadWithProgress with a Content-Length: one buffer, progress to the total', async () => {
    const body = bytes.subarray(0, 5_000_000);
    const { impl } = serve(body, { chunk: 300_000 });
    const seen: Array<[number, number | undefined]> = [];
    const got = await downloadWithProgress('https://x/y', (r, t) => seen.push([r, t]), impl);
    expect(sameBytes(got, body)).toBe(true);
    expect(seen[0]).toEqual([0, body.length]);
    expect(seen.at(-1)).toEqual([body.length, body.length]);
    expect(seen.length).toBeGreaterThan(10);
  });

  test('downloadWithProgress without a Content-Length, or with a wrong small one', async () => {
    const body = bytes.subarray(0, 1_000_003);
    const seen: Array<number | undefined> = [];
    const got = await downloadWithProgress('https://x/y', (_r, t) => seen.push(t), serve(body, { contentLength: false, chunk: 65536 }).impl);
    expect(sameBytes(got, body)).toBe(true);
    expect(seen.every((t) => t === undefined)).toBe(true);
    expect(sameBytes(await downloadWithProgress('https://x/y', undefined, serve(body, { contentLength: 1000, chunk: 65536 }).impl), body)).toBe(true);
  });

  test('download failures are DOWNLOAD_FAILED with the offline hint', async () => {
    await expectCode(downloadWithProgress('https://x/y', undefined, failingFetch), 'DOWNLOAD_FAILED', 'https://x/y', 'ENOTFOUND', '--weights synthetic');
    await expectCode(downloadWithProgress('https://x/y', undefined, serve(bytes, { status: 404 }).impl), 'DOWNLOAD_FAILED', '404');
    await expectCode(downloadWithProgress('https://x/y', undefined, serve(bytes.subarray(0, 4_000_000), { breakAfter: 2 << 20 }).impl), 'DOWNLOAD_FAILED', 'connection reset');
    // The server announced more than it sent.
    await expectCode(downloadWithProgress('https://x/y', undefined, serve(bytes.subarray(0, 1000), { contentLength: 5000 }).impl), 'DOWNLOAD_FAILED', '1000 of 5000');
  });

  test('defaultCacheDir: $WGCAM_CACHE, then $XDG_CACHE_HOME/wgcam, then ~/.cache/wgcam', () => {
    expect(defaultCacheDir({ WGCAM_CACHE: '/a', XDG_CACHE_HOME: '/b' })).toBe('/a');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/b' })).toBe(join('/b', 'wgcam'));
    expect(defaultCacheDir({})).toMatch(/[/\\]\.cache[/\\]wgcam$/);
    expect(pretrainedCachePath('/c')).toBe(join('/c', 'resnet50.tv_in1k.safetensors'));
  });
});

describe('pretrained, cached', () => {
  test('downloads, verifies, caches atomically; then a cache hit does not fetch', async () => {
    const dir = await freshDir();
    const { impl, calls } = serve(bytes);
    const progress: number[] = [];
    const first = await loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: impl, onProgress: (r) => progress.push(r) });
    expect(calls).toEqual(['https://weights.example/model.safetensors']);
    expect(first.weights.size).toBe(267);
    expect(first.bytes.length).toBe(bytes.length);
    expect(first.description).toContain('downloaded');
    expect(progress.at(-1)).toBe(bytes.length);
    // Only the final file: no temporary left behind.
    expect(await readdir(dir)).toEqual(['test-resnet50.safetensors']);
    expect(createHash('sha256').update(await readFile(join(dir, 'test-resnet50.safetensors'))).digest('hex')).toBe(sha);

    const again = await loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: failingFetch });
    expect(again.description).toContain('cached');
    expect(sameBits(again.weights.get('fc.weight')!, first.weights.get('fc.weight')!)).toBe(true);
  });

  test('the cache directory is created when missing', async () => {
    const dir = join(await freshDir(), 'deep', 'er');
    await loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: serve(bytes).impl });
    expect(await readdir(dir)).toEqual(['test-resnet50.safetensors']);
  });

  test('a corrupt cached file is replaced by a fresh download', async () => {
    const dir = await freshDir();
    const target = join(dir, 'test-resnet50.safetensors');
    const damaged = bytes.slice();
    damaged[damaged.length - 1]! ^= 1;
    await writeFile(target, damaged);
    const { impl, calls } = serve(bytes);
    const loaded = await loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: impl });
    expect(calls.length).toBe(1);
    expect(loaded.description).toContain('corrupt');
    expect(createHash('sha256').update(await readFile(target)).digest('hex')).toBe(sha);
  });

  test('checksum mismatch raises CHECKSUM_MISMATCH and leaves nothing in the cache', async () => {
    const dir = await freshDir();
    const wrong = 'ab'.repeat(32);
    await expectCode(loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(wrong), fetchImpl: serve(bytes).impl }), 'CHECKSUM_MISMATCH', sha, wrong);
    expect(await readdir(dir)).toEqual([]);
    // Also when a (now mismatching) file was cached before: it is removed, not kept.
    await writeFile(join(dir, 'test-resnet50.safetensors'), bytes);
    await expectCode(loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(wrong), fetchImpl: serve(bytes).impl }), 'CHECKSUM_MISMATCH');
    expect(await readdir(dir)).toEqual([]);
  });

  test('download failure is DOWNLOAD_FAILED, names the cache path for offline use, caches nothing', async () => {
    const dir = await freshDir();
    const err = await expectCode(loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: failingFetch }), 'DOWNLOAD_FAILED', '--weights synthetic');
    expect(err.message).toContain(join(dir, 'test-resnet50.safetensors'));
    await expectCode(
      loadWeightsNode('pretrained', { cacheDir: dir, pretrained: info(sha), fetchImpl: serve(bytes, { breakAfter: 10 << 20 }).impl }),
      'DOWNLOAD_FAILED',
    );
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('other sources', () => {
  test('synthetic', async () => {
    const loaded = await loadWeightsNode('synthetic');
    expect(loaded.weights.size).toBe(267);
    expect(loaded.description).toContain('resnet50-synthetic-v1');
    expect(sameBytes(loaded.bytes, bytes)).toBe(true);
    const ref = syntheticResNet50();
    for (const name of ['conv1.weight', 'layer4.2.bn3.running_var', 'fc.bias']) expect(sameBits(loaded.weights.get(name)!, ref.get(name)!), name).toBe(true);
  });

  test('a local file, by path and by file: URL', async () => {
    const path = join(await freshDir(), 'w.safetensors');
    await writeFile(path, bytes);
    const loaded = await loadWeightsNode(path);
    expect(loaded.weights.size).toBe(267);
    expect(loaded.bytes.length).toBe(bytes.length);
    expect(loaded.description).toContain(path);
    expect(loaded.description).toContain('resnet50-synthetic-v1');
    expect((await loadWeightsNode(pathToFileURL(path).href)).weights.size).toBe(267);
  });

  test('missing, empty, directory and non-safetensors files give clear errors naming the path', async () => {
    const dir = await freshDir();
    await expectCode(loadWeightsNode(join(dir, 'nope.safetensors')), 'FILE_NOT_FOUND', 'nope.safetensors', 'does not exist');
    await writeFile(join(dir, 'empty.safetensors'), new Uint8Array(0));
    await expectCode(loadWeightsNode(join(dir, 'empty.safetensors')), 'WEIGHTS_EMPTY', 'empty.safetensors');
    await expectCode(loadWeightsNode(dir), 'FILE_NOT_FOUND', 'is a folder');
    await writeFile(join(dir, 'page.safetensors'), '<html>rate limited</html>');
    await expectCode(loadWeightsNode(join(dir, 'page.safetensors')), 'WEIGHTS_NOT_SAFETENSORS', 'page.safetensors', 'HTML');
    const truncated = join(dir, 'cut.safetensors');
    await writeFile(truncated, bytes.subarray(0, 1_000_000));
    await expectCode(loadWeightsNode(truncated), 'WEIGHTS_BAD_OFFSETS', 'cut.safetensors');
  });

  test('an http(s) URL is downloaded with progress and not cached', async () => {
    const { impl, calls } = serve(bytes);
    let last = 0;
    const loaded = await loadWeightsNode('https://mirror.example/r50.safetensors', { fetchImpl: impl, onProgress: (r) => (last = r) });
    expect(calls).toEqual(['https://mirror.example/r50.safetensors']);
    expect(loaded.weights.size).toBe(267);
    expect(last).toBe(bytes.length);
    await expectCode(loadWeightsNode('https://mirror.example/r50.safetensors', { fetchImpl: failingFetch }), 'DOWNLOAD_FAILED');
  });
});

describe('progress bar', () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
  };

  test('on a terminal: redraws in place with \\r, MB and percent, ends the line', () => {
    const { out, stream } = sink(true);
    let t = 0;
    const bar = makeProgressBar('weights', stream, () => t);
    for (let r = 0; r <= 100e6; r += 1e6) {
      t += 50;
      bar.update(r, 100e6);
    }
    bar.done();
    expect(out.length).toBeGreaterThan(10);
    expect(out.length).toBeLessThan(80); // throttled
    expect(out.slice(0, -1).every((s) => s.startsWith('\r'))).toBe(true);
    expect(out.at(-2)).toContain('100.0 / 100.0 MB');
    expect(out.at(-2)).toContain('100%');
    expect(out.at(-1)).toBe('\n');
  });

  test('off a terminal: a few plain lines', () => {
    const { out, stream } = sink(false);
    const bar = makeProgressBar('weights', stream);
    for (let r = 0; r <= 100e6; r += 1e5) bar.update(r, 100e6);
    bar.done();
    expect(out.length).toBeLessThanOrEqual(6);
    expect(out.every((s) => s.endsWith('\n') && !s.includes('\r'))).toBe(true);
    expect(out.at(-1)).toContain('(100%)');

    const unknown = sink(false);
    const bar2 = makeProgressBar('weights', unknown.stream);
    for (let r = 0; r <= 60e6; r += 1e6) bar2.update(r);
    bar2.done();
    expect(unknown.out.at(-1)).toBe('weights: 60.0 MB\n');
  });

  test('prints nothing when nothing was downloaded', () => {
    const { out, stream } = sink(true);
    makeProgressBar('weights', stream).done();
    expect(out).toEqual([]);
  });
});
