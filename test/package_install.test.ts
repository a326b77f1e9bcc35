// The npm package as a user gets it: `npm pack` (which runs `npm run build:lib`), then the tarball installed into
// fresh projects in a temp folder, made from examples/: the Node example classifies the sample with the synthetic
// weights on Dawn, and the Vite example, built by Vite, does it in headless Chromium (SwiftShader). Both top-5s
// must be PyTorch's (test/fixtures/eval-chelsea.safetensors holds its logits for the same picture and weights).
// Packages come from npm's cache where it has them (`--prefer-offline`); Vite is the repository's own.
import { execFile } from 'node:child_process';
import { createReadStream, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Fixture, topIndices } from './helpers/fixtures.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE = join(ROOT, 'src/app/samples/chelsea.png');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** PyTorch's top-5 for chelsea.png with the synthetic weights. */
const REFERENCE_TOP5 = topIndices(new Fixture('eval-chelsea').f32('logits'), 5);

const work = mkdtempSync(join(tmpdir(), 'wgcam-package-'));
let tarball = '';
let packed: { size: number; files: Array<{ path: string }> };

async function sh(cwd: string, file: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** A fresh project from examples/NAME with the packed wgcam installed in it. */
async function projectFrom(name: string): Promise<string> {
  const dir = join(work, name);
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true });
  // The example's own dev tools (Vite) are the repository's: only wgcam and what it needs are installed.
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies?: unknown };
  delete pkg.devDependencies;
  pkg.dependencies.wgcam = `file:${tarball}`;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await sh(dir, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
  cpSync(SAMPLE, join(dir, 'chelsea.png'));
  return dir;
}

beforeAll(async () => {
  const { stdout } = await sh(ROOT, 'npm', ['pack', '--json', '--pack-destination', work]);
  // prepack's build prints before the JSON.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as Array<typeof packed & { filename: string }>;
  packed = info!;
  tarball = join(work, info!.filename);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the built code, the user docs, LICENSE, CHANGELOG and the labels, under 2 MB, and nothing of tests or bench', async () => {
  const paths = packed.files.map((f) => f.path);
  expect(statSync(tarball).size).toBeLessThan(2_000_000);
  for (const p of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'TROUBLESHOOTING.md', 'docs/settings.md', 'bin/wgcam.mjs', 'lib/index.js', 'lib/node.js', 'lib/cli.js', 'lib/types/index.d.ts', 'lib/types/node/index.d.ts', 'lib/imagenet_classes.json']) {
    expect(paths).toContain(p);
  }
  expect(paths.filter((p) => /^(src|test|bench|scripts|examples|weights|docs\/api)\/|\.safetensors$|\.wgsl$|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
});

test('Node: a fresh project imports wgcam and wgcam/node and classifies the sample as PyTorch does; the bin runs without tsx', async () => {
  const dir = await projectFrom('node');
  expect(existsSync(join(dir, 'node_modules/tsx'))).toBe(false);
  const { stdout } = await sh(dir, process.execPath, ['classify.mjs', 'chelsea.png', 'synthetic']);
  const top5 = stdout.trim().split('\n').map((line) => Number(line.trim().split(/\s+/)[0]));
  expect(top5).toEqual(REFERENCE_TOP5);
  const bin = join(dir, 'node_modules/.bin/wgcam');
  expect((await sh(dir, bin, ['--version'])).stdout.trim()).toBe(VERSION);
  expect((await sh(dir, bin, ['--help'])).stdout).toMatch(/^wgcam \d+\.\d+\.\d+: .*\n[^]*\n {2}classify /);
  expect((await sh(dir, bin, ['--help'])).stdout).not.toMatch(/\n {2}bench /); // the repository's command only
});

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png' };

function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    let file = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** Open `path` on a server of `root` in headless Chromium and wait for the page's data-state: the top-5 it lists. */
async function topFiveInChromium(root: string, path: string): Promise<number[]> {
  const server = await serve(root);
  const puppeteer = (await import('puppeteer-core')).default;
  const profile = mkdtempSync(join(work, 'profile-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    protocolTimeout: 900_000,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--no-first-run', `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
    const address = server.address();
    await page.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}${path}`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 780_000 });
    const state = await page.$eval('body', (b) => ({ state: b.dataset.state, status: document.getElementById('status')?.textContent }));
    expect(state, errors.join('\n')).toMatchObject({ state: 'done' });
    return await page.$$eval('#top5 li', (items) => items.map((li) => Number((li as HTMLElement).dataset.index)));
  } finally {
    await browser.close();
    server.close();
  }
}

test('Vite: a fresh app that imports wgcam builds, and its page classifies the sample in Chromium as PyTorch does', async () => {
  const dir = await projectFrom('vite');
  await sh(dir, process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn']);
  cpSync(SAMPLE, join(dir, 'dist/chelsea.png'));
  expect(await topFiveInChromium(join(dir, 'dist'), '/?weights=synthetic&image=chelsea.png')).toEqual(REFERENCE_TOP5);
}, 900_000); // SwiftShader: the per-adapter tuning, then a forward, on the CPU
