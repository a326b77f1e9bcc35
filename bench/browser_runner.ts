// `wgcam bench --browser`: build the bench page (bench/browser, Vite), serve it on 127.0.0.1, open it in
// headless Chromium (puppeteer-core, Debian's /usr/bin/chromium or $CHROMIUM) and collect the JSON it makes.
// Node-only.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WgcamError } from '../src/errors.ts';
import type { BenchConfig, BenchResult } from './core.ts';
import type { BenchPageState } from './browser/main.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITE_CONFIG = fileURLToPath(new URL('./browser/vite.config.ts', import.meta.url));

/** The flags every headless run gets (see bench/README.md); Chromium's WebGPU is SwiftShader without a GPU. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // Dawn quantises timestamp queries to 100 us by default (a fingerprinting defence); a benchmark wants them whole.
  '--disable-dawn-features=timestamp_quantization',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

export interface BrowserRunOptions {
  config: BenchConfig;
  peers: boolean;
  weights: string;
  log: (line: string) => void;
  verbose: boolean;
}

function serve(routes: Array<[prefix: string, dir: string]>, extra: Map<string, Uint8Array>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    // Cross-origin isolation lets onnxruntime-web use SharedArrayBuffer; everything is same-origin anyway.
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cache-control': 'no-store' };
    const bytes = extra.get(path);
    if (bytes) {
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength }).end(bytes);
      return;
    }
    for (const [prefix, dir] of routes) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep) && file !== dir) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) break;
      res.writeHead(200, { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

export async function runInBrowser(o: BrowserRunOptions): Promise<BenchResult> {
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    throw new WgcamError('UNSUPPORTED_PLATFORM', `--browser needs Chromium at ${chromium}: install it (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chrome`);
  }
  const ortDist = join(ROOT, 'node_modules/onnxruntime-web/dist');
  if (o.peers && !existsSync(ortDist)) {
    throw new WgcamError('UNSUPPORTED_PLATFORM', '--peers needs the dev dependencies onnxruntime-web, @tensorflow/tfjs-core and @tensorflow/tfjs-backend-webgpu: run npm ci');
  }
  const work = mkdtempSync(join(tmpdir(), 'wgcam-bench-'));
  const outDir = join(work, 'page');
  let server: Server | null = null;
  let browser: { close(): Promise<void> } | null = null;
  try {
    o.log(`building the bench page (vite${o.peers ? ', with the peers' : ''})`);
    const { build } = await import('vite');
    const previous = process.env.WGCAM_BENCH_PEERS;
    process.env.WGCAM_BENCH_PEERS = o.peers ? '1' : '0';
    try {
      await build({ configFile: VITE_CONFIG, logLevel: o.verbose ? 'info' : 'warn', build: { outDir, emptyOutDir: true } });
    } finally {
      if (previous === undefined) delete process.env.WGCAM_BENCH_PEERS;
      else process.env.WGCAM_BENCH_PEERS = previous;
    }

    // Weights other than the synthetic ones are loaded here (files, cache, download, checks) and handed over.
    const extra = new Map<string, Uint8Array>();
    let weightsParam = o.weights;
    if (o.weights !== 'synthetic' && (o.config.e2e.length > 0 || o.peers)) {
      const { loadWeightsNode } = await import('../src/node/weights_node.ts');
      const { writeSafetensors } = await import('../src/model/safetensors.ts');
      const { RESNET50_FLOAT_TENSORS } = await import('../src/model/resnet50_spec.ts');
      const loaded = await loadWeightsNode(o.weights);
      const tensors = RESNET50_FLOAT_TENSORS.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: [...t.shape], data: loaded.weights.get(t.name)! }));
      extra.set('/weights.safetensors', writeSafetensors(tensors));
      weightsParam = './weights.safetensors';
    }
    server = await serve([['/ort/', ortDist], ['/', outDir]], extra);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const url = `http://127.0.0.1:${port}/index.html?${new URLSearchParams({
      config: JSON.stringify(o.config),
      weights: weightsParam,
      weightsName: o.weights,
      peers: o.peers ? '1' : '0',
    }).toString()}`;

    const puppeteer = (await import('puppeteer-core')).default;
    const userDataDir = join(work, 'profile');
    o.log(`starting ${chromium} (headless)`);
    const b = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      protocolTimeout: 600_000,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`],
    });
    browser = b;
    const page = await b.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) o.log(text.slice(8));
      else if (o.verbose) o.log(`[page ${m.type()}] ${text}`);
    });
    page.on('pageerror', (e) => o.log(`[page error] ${e instanceof Error ? e.message : String(e)}`));
    await page.goto(url, { waitUntil: 'load' });
    const limitS = Number(process.env.WGCAM_BENCH_TIMEOUT_S ?? 4 * 3600);
    const deadline = Date.now() + limitS * 1000;
    for (;;) {
      const s = await page.evaluate(() => {
        const b = (window as unknown as { __bench?: BenchPageState }).__bench;
        return b ? { status: b.status, error: b.error } : null;
      });
      if (s?.status === 'error') throw new WgcamError(s.error?.startsWith('NO_ADAPTER') ? 'NO_ADAPTER' : 'UNSUPPORTED_PLATFORM', `the bench page failed: ${s.error?.split('\n')[0]}`);
      if (s?.status === 'done') break;
      if (Date.now() > deadline) throw new Error(`the bench page did not finish within ${limitS} s (WGCAM_BENCH_TIMEOUT_S)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const result = await page.evaluate(() => (window as unknown as { __bench: BenchPageState }).__bench.result);
    if (!result) throw new Error('the bench page finished without a result');
    result.notes.push(`browser: headless ${await b.version()} with ${CHROMIUM_FLAGS.filter((f) => f !== '--no-sandbox').join(' ')}`);
    return result;
  } finally {
    await browser?.close().catch(() => undefined);
    server?.close();
    rmSync(work, { recursive: true, force: true });
  }
}
