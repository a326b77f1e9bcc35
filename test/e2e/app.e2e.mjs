#!/usr/bin/env node
// End-to-end test of the Grad-CAM explorer (src/app) in headless Chromium on SwiftShader's WebGPU adapter.
// Plain Node (not vitest): builds the app (vite build), serves dist/ on 127.0.0.1, drives Chromium with
// puppeteer-core, and checks the page against the CLI on the same image with the same (synthetic) weights.
// Ends with one line "e2e: N passed, M failed[, K skipped]" (each skip is a "skip NAME: REASON" line above)
// and a non-zero exit status when anything failed.
//
// Environment: E2E_SKIP_BUILD=1 (reuse dist/), E2E_SKIP_CLI=1 (compare with the fixture only),
// E2E_ONLY=main,errors,phone (a subset of the groups), E2E_DIST (another build folder, implies no build),
// CHROMIUM=/path/to/chromium, E2E_TIMEOUT_S (whole run, default 3600).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { PNG } from 'pngjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(ROOT, 'dist');
const ONLY = new Set((process.env.E2E_ONLY ?? 'main,errors,phone').split(',').map((s) => s.trim()));
const ARTIFACTS = join(ROOT, 'test/artifacts/e2e');
const SAMPLE = join(ROOT, 'src/app/samples/chelsea.png');
const FIXTURE = join(ROOT, 'test/fixtures/eval-chelsea.safetensors');
const FIXTURE_TOP5 = [805, 734, 527, 308, 954];
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RUN_TIMEOUT_S = Number(process.env.E2E_TIMEOUT_S ?? 3600);
// SwiftShader runs ResNet50 forward + backward on the CPU: minutes on a small machine.
const SLOW_MS = Number(process.env.E2E_SLOW_MS ?? 15 * 60_000);

mkdirSync(ARTIFACTS, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'wgcam-e2e-'));

// ---- tiny harness -------------------------------------------------------------------------------------

const results = [];
function log(...args) {
  console.log(...args);
}
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true });
    log(`ok   ${name}${note ? ` (${note})` : ''} [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)} [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
  }
}
const skipped = [];
/** A check that cannot run here, with the reason: listed as "skip NAME: REASON" and counted in the last line. */
function skip(name, reason) {
  skipped.push(name);
  log(`skip ${name}: ${reason}`);
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
let finished = false;
function finish(extraFailure) {
  if (finished) return;
  finished = true;
  if (extraFailure) results.push({ name: extraFailure, ok: false });
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e: ${passed} passed, ${failed} failed` + (skipped.length ? `, ${skipped.length} skipped` : ''));
  process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
}
const watchdog = setTimeout(() => {
  log(`FAIL the whole run took longer than ${RUN_TIMEOUT_S} s`);
  finish('run timeout');
  process.exit(1);
}, RUN_TIMEOUT_S * 1000);
watchdog.unref();

// ---- helpers ------------------------------------------------------------------------------------------

function run(cmd, args, options = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.on('error', (e) => resolvePromise({ code: -1, stdout, stderr: String(e) }));
  });
}

/** A minimal safetensors reader (header + raw bytes), enough for the fixture and the app's downloads. */
function readSafetensors(bytes) {
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8'));
  const start = 8 + n;
  const tensors = new Map();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = info.data_offsets;
    const raw = bytes.slice(start + b, start + e);
    const data = info.dtype === 'F32' ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : raw;
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { metadata: header.__metadata__ ?? {}, tensors };
}

function readNpy(bytes) {
  assert(bytes[0] === 0x93 && Buffer.from(bytes.subarray(1, 6)).toString() === 'NUMPY', 'not an .npy file (bad magic)');
  const major = bytes[6];
  const headerLen = major === 1 ? bytes[8] | (bytes[9] << 8) : Buffer.from(bytes).readUInt32LE(8);
  const pre = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(pre, pre + headerLen)).toString('latin1');
  assert((pre + headerLen) % 64 === 0, `npy data does not start 64-aligned (${pre + headerLen})`);
  assert(header.endsWith('\n'), 'npy header does not end with a newline');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = bytes.slice(pre + headerLen);
  return { descr, fortran, shape, data: new Float32Array(body.buffer, body.byteOffset, body.byteLength / 4) };
}

/** Byte differences between two RGB(A) images of the same size, RGB channels only. */
function compareRgb(actualRgba, expectedRgb, width, height) {
  let over1 = 0;
  let max = 0;
  let total = 0;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(actualRgba[4 * i + c] - expectedRgb[3 * i + c]);
      if (d > 1) over1++;
      if (d > max) max = d;
      total++;
    }
  }
  return { over1, max, fraction: over1 / total, total };
}

function pngToRgb(path) {
  const png = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
  return { width: png.width, height: png.height, rgb };
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.md': 'text/markdown; charset=utf-8',
};

function serveDist() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = normalize(join(DIST, decodeURIComponent(url.pathname)));
    if (!path.startsWith(DIST + sep) && path !== DIST) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(path));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function newBrowser() {
  const userDataDir = mkdtempSync(join(tmp, 'profile-'));
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    protocolTimeout: SLOW_MS + 60_000,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      `--user-data-dir=${userDataDir}`,
    ],
  });
}

async function openPage(browser, url, { noGpu = false, noTimestamps = false, noF16 = false, record = false, width = 1280, height = 900 } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  page.setDefaultTimeout(SLOW_MS);
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  page.consoleLines = consoleLines;
  if (record) {
    // What the page shows while it works, sampled every 100 ms from the start (the test hook's progress text,
    // whether the pre-computed example is on show, and the status line).
    await page.evaluateOnNewDocument(() => {
      const seen = { progress: [], precomputed: false, status: [] };
      window.__seen = seen;
      setInterval(() => {
        const s = window.__wgcam?.state();
        if (!s) return;
        if (s.progress && !seen.progress.includes(s.progress) && seen.progress.length < 200) seen.progress.push(s.progress);
        if (s.precomputed && s.camGeneration === 0) seen.precomputed = true;
        const status = document.getElementById('status')?.firstChild?.textContent ?? '';
        if (status && !seen.status.includes(status) && seen.status.length < 200) seen.status.push(status);
      }, 100);
    });
  }
  if (noGpu) {
    await page.evaluateOnNewDocument(() => {
      // As in a browser without WebGPU: no navigator.gpu at all.
      delete Navigator.prototype.gpu;
      delete navigator.gpu;
    });
  }
  const withheld = [...(noTimestamps ? ['timestamp-query'] : []), ...(noF16 ? ['shader-f16'] : [])];
  if (withheld.length > 0) {
    await page.evaluateOnNewDocument((names) => {
      // As on an adapter without these features: the device is created without them.
      const requestDevice = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = function (descriptor = {}) {
        const requiredFeatures = [...(descriptor.requiredFeatures ?? [])].filter((f) => !names.includes(f));
        return requestDevice.call(this, { ...descriptor, requiredFeatures });
      };
    }, withheld);
  }
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__wgcam !== undefined, { timeout: 60_000 });
  await page.evaluate(() => window.__wgcam.ready);
  return page;
}

const snapshot = (page) => page.evaluate(() => window.__wgcam.state());
const waitIdle = (page) => page.evaluate(() => window.__wgcam.idle());

/** Wait until a CAM newer than `generation` is shown and the page is idle. */
async function waitForCam(page, generation) {
  await page.waitForFunction((g) => window.__wgcam.state().camGeneration > g && window.__wgcam.state().phase === 'idle', { timeout: SLOW_MS, polling: 500 }, generation);
  return snapshot(page);
}

async function waitForAlert(page, topic, timeout = 120_000) {
  await page.waitForSelector(`#alerts [data-topic="${topic}"]`, { timeout });
  return page.$eval(`#alerts [data-topic="${topic}"]`, (el) => ({ code: el.dataset.code, text: el.querySelector('.alert-text')?.textContent ?? '', buttons: [...el.querySelectorAll('button')].map((b) => b.textContent) }));
}

async function canvasRgba(page, id, selector = `#${id}`) {
  return page.$eval(selector, (canvas) => {
    const g = canvas.getContext('2d', { willReadFrequently: true });
    const d = g.getImageData(0, 0, canvas.width, canvas.height, { colorSpace: 'srgb' });
    return { width: canvas.width, height: canvas.height, data: Array.from(d.data) };
  });
}

async function screenshot(page, name, fullPage = true) {
  // Two frames, so that what was just drawn is painted (full-page captures otherwise catch stale tiles).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

async function dumpConsole(page, name) {
  writeFileSync(join(ARTIFACTS, `${name}.console.txt`), page.consoleLines.join('\n'));
}

// ---- main ---------------------------------------------------------------------------------------------

async function main() {
  // 1. Build.
  if (process.env.E2E_SKIP_BUILD !== '1' && !process.env.E2E_DIST) {
    log('building the app (vite build)…');
    const build = spawnSync('npx', ['vite', 'build', '--config', 'src/app/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) {
      log(build.stdout, build.stderr);
      throw new Error('vite build failed');
    }
  }
  assert(existsSync(join(DIST, 'index.html')), 'dist/index.html is missing: the build did not run');

  // 2. The CLI's answers for the same image and weights (the reference the page must match).
  const cli = { top5: null, overlay: null, map: null, viridis734: null, gradcampp: null, gradcamppTarget: null, why: '' };
  if (process.env.E2E_SKIP_CLI !== '1' && ONLY.has('main')) {
    log('running the CLI for reference (classify, cam)…');
    const c = await run('node', ['bin/wgcam.mjs', 'classify', '--weights', 'synthetic', '--image', SAMPLE, '--top', '5']);
    if (c.code === 0) {
      cli.top5 = [...c.stdout.matchAll(/^\s*\d+\.\s+(\d+)\s/gm)].map((m) => Number(m[1]));
    } else cli.why = `classify exited ${c.code}: ${(c.stderr || c.stdout).trim().split('\n').slice(-3).join(' | ')}`;
    const outPng = join(tmp, 'cli-chelsea-cam.png');
    const outDump = join(tmp, 'cli-chelsea-cam.safetensors');
    const m = await run('node', ['bin/wgcam.mjs', 'cam', '--weights', 'synthetic', '--image', SAMPLE, '--out', outPng, '--dump', outDump]);
    if (m.code === 0 && existsSync(outPng)) {
      cli.overlay = pngToRgb(outPng);
      if (existsSync(outDump)) cli.map = readSafetensors(new Uint8Array(readFileSync(outDump))).tensors.get('cam.layer4.map')?.data ?? null;
    } else cli.why += ` cam exited ${m.code}: ${(m.stderr || m.stdout).trim().split('\n').slice(-3).join(' | ')}`;
    // The overlay-only path (colour map and opacity changed after the CAM): class 734, viridis, alpha 0.8.
    const outViridis = join(tmp, 'cli-chelsea-734-viridis.png');
    const v = await run('node', ['bin/wgcam.mjs', 'cam', '--weights', 'synthetic', '--image', SAMPLE, '--target', '734', '--colormap', 'viridis', '--alpha', '0.8', '--out', outViridis]);
    if (v.code === 0 && existsSync(outViridis)) cli.viridis734 = pngToRgb(outViridis);
    else cli.why += ` cam (viridis) exited ${v.code}`;
    // The method picker's reference: Grad-CAM++ at layer4 for the second class.
    const outPp = join(tmp, 'cli-chelsea-gradcampp.safetensors');
    cli.gradcamppTarget = FIXTURE_TOP5[1];
    const pp = await run('node', ['bin/wgcam.mjs', 'cam', '--weights', 'synthetic', '--image', SAMPLE, '--method', 'gradcam++', '--target', String(cli.gradcamppTarget), '--dump', outPp]);
    if (pp.code === 0 && existsSync(outPp)) cli.gradcampp = readSafetensors(new Uint8Array(readFileSync(outPp))).tensors.get('method.gradcam++.map')?.data ?? null;
    else cli.why += ` cam --method gradcam++ exited ${pp.code}`;
    if (cli.why) log(`note: the CLI reference is incomplete: ${cli.why}`);
  } else cli.why = 'E2E_SKIP_CLI=1';

  const server = await serveDist();
  const base = `http://127.0.0.1:${server.address().port}/`;
  log(`serving dist/ at ${base}`);
  const browser = await newBrowser();
  try {
    if (ONLY.has('main')) await mainPage(browser, base, cli);
    if (ONLY.has('errors')) await errorPaths(browser, base);
    if (ONLY.has('phone')) await phoneLayout(browser, base);
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
}

async function mainPage(browser, base, cli) {
  let page;
  let first;
  await check('a link with ?weights=synthetic&image=chelsea (fresh profile): the SwiftShader adapter, then chelsea classified and explained', async () => {
    page = await openPage(browser, `${base}?weights=synthetic&image=chelsea`, { record: true });
    first = await waitForCam(page, 0);
    assert(first.webgpu, 'navigator.gpu is missing');
    assert(first.weights === 'synthetic', `weights are ${first.weights}`);
    assert(first.adapter !== null, `no GPU session (errors: ${JSON.stringify(first.errors)})`);
    assert(first.software === true, `expected a software adapter, got ${first.adapter}`);
    const banner = await page.$eval('#synthetic-banner', (el) => !el.hidden && el.textContent);
    assert(banner && /meaningless/i.test(banner), 'the synthetic-weights warning is not shown');
    assert(first.errors.length === 0, `errors shown: ${JSON.stringify(first.errors)}`);
    assert(first.image === 'chelsea.png' && first.sample === 'chelsea', `image ${first.image}, sample ${first.sample}`);
    assert(first.top5.length === 5, `top-5 has ${first.top5.length} entries`);
    assert(first.cam && first.cam.width === 224 && first.cam.height === 224, `cam ${JSON.stringify(first.cam)}`);
    // Tuning must never delay the first result: the first job runs on the priors, the measurement follows it.
    assert(first.tuning && first.tuning.firstJobWaited === false, `the first job waited on kernel tuning (${JSON.stringify(first.tuning)})`);
    return `adapter "${first.adapter}", timestamp-query ${first.hasTimestamps}; navigation to the first heatmap ${(first.firstCamMs / 1000).toFixed(1)} s (fresh profile; the first job did not wait on tuning)`;
  });
  if (!page || !first) return;
  await screenshot(page, '02-chelsea');
  await dumpConsole(page, '02-chelsea');

  await check('while it worked: the pre-computed example, then the progress box over the overlay naming each step', async () => {
    const seen = await page.evaluate(() => window.__seen);
    const s = await snapshot(page);
    assert(seen.precomputed, 'the pre-computed example was never shown before the first heatmap');
    assert(!s.precomputed && (await page.$eval('#precomputed-badge', (el) => el.hidden)), 'the pre-computed label is still shown over a live result');
    // The forward's own step only records its kernels (the GPU runs it during the next step), so it may pass
    // between two samples; the backward's step names both passes.
    assert(seen.progress.some((t) => /^Step \d of \d: (forward pass|forward and backward passes)/.test(t)), `no forward step in ${JSON.stringify(seen.progress)}`);
    assert(seen.progress.some((t) => /^Step \d of \d: forward and backward passes/.test(t)), `no backward step in ${JSON.stringify(seen.progress)}`);
    assert(seen.progress.some((t) => /compiling \d+ new GPU kernel/.test(t)), `no kernel compile count in ${JSON.stringify(seen.progress)}`);
    assert(s.progress === null && (await page.$eval('#job-progress', (el) => el.hidden)), 'the progress box stays after the job');
    assert(!seen.status.some((t) => /No GPU session/.test(t)), `the status said ${JSON.stringify(seen.status)}`);
    return [...seen.progress.filter((t) => !/^Step/.test(t)).slice(-1), ...seen.progress.filter((t) => /^Step/.test(t)).slice(0, 8)].join(' | ');
  });

  await check('top-5 equals the fixture (PyTorch, synthetic weights): 805, 734, 527, 308, 954', async () => {
    const got = first.top5.map((p) => p.index);
    assert(JSON.stringify(got) === JSON.stringify(FIXTURE_TOP5), `page ${got.join(',')} vs fixture ${FIXTURE_TOP5.join(',')}`);
  });

  await check('top-5 equals the CLI (wgcam classify --weights synthetic --top 5)', async () => {
    assert(cli.top5, `no CLI result (${cli.why})`);
    const got = first.top5.map((p) => p.index);
    assert(JSON.stringify(got) === JSON.stringify(cli.top5), `page ${got.join(',')} vs CLI ${cli.top5.join(',')}`);
  });

  const overlay1 = await canvasRgba(page, 'overlay');
  await check('overlay canvas equals the CLI overlay (<=1 step per byte except <0.5% of bytes)', async () => {
    assert(cli.overlay, `no CLI overlay (${cli.why})`);
    assert(overlay1.width === cli.overlay.width && overlay1.height === cli.overlay.height, `size ${overlay1.width}x${overlay1.height} vs ${cli.overlay.width}x${cli.overlay.height}`);
    const d = compareRgb(overlay1.data, cli.overlay.rgb, overlay1.width, overlay1.height);
    assert(d.fraction < 0.005, `${d.over1} of ${d.total} bytes (${(d.fraction * 100).toFixed(2)}%) differ by more than 1; max ${d.max}`);
    return `${d.over1} bytes differ by >1, max ${d.max}`;
  });

  await check('overlay canvas is close to the PyTorch fixture overlay (same tolerance)', async () => {
    const fx = readSafetensors(new Uint8Array(readFileSync(FIXTURE))).tensors.get('cam.layer4.overlay');
    assert(fx, 'fixture has no cam.layer4.overlay');
    const d = compareRgb(overlay1.data, fx.data, 224, 224);
    assert(d.fraction < 0.005, `${d.over1} of ${d.total} bytes (${(d.fraction * 100).toFixed(2)}%) differ by more than 1; max ${d.max}`);
    return `${d.over1} bytes differ by >1, max ${d.max}`;
  });

  await check('CAM map equals the CLI map (max abs error < 2e-3)', async () => {
    assert(cli.map, `no CLI map (${cli.why})`);
    const map = await page.evaluate(() => window.__wgcam.camMap());
    let max = 0;
    for (let i = 0; i < map.length; i++) max = Math.max(max, Math.abs(map[i] - cli.map[i]));
    assert(map.length === cli.map.length, `length ${map.length} vs ${cli.map.length}`);
    assert(max < 2e-3, `max abs error ${max}`);
    return `max abs error ${max.toExponential(2)}`;
  });

  await check('the timings panel shows per-stage and per-kernel times', async () => {
    const s = await snapshot(page);
    assert(s.timings, 'no timings');
    const names = s.timings.stages.map((r) => r.stage).join(' | ');
    if (s.hasTimestamps) {
      assert(s.timings.source === 'gpu', `source ${s.timings.source}`);
      for (const want of [/forward/i, /backward/i, /CAM/]) assert(want.test(names), `no ${want} stage in ${names}`);
      assert(s.timings.kernels.length > 10, `only ${s.timings.kernels.length} kernel rows`);
      const backward = s.timings.stages.find((r) => /^Backward/.test(r.stage));
      const cam = s.timings.stages.find((r) => /^CAM/.test(r.stage));
      assert(backward && backward.ms > 0 && cam && cam.ms > 0, `stage times ${names}`);
    } else {
      assert(s.timings.source === 'cpu', 'CPU timings expected without timestamp-query');
    }
    const rows = await page.$$eval('#stages tbody tr', (r) => r.length);
    assert(rows >= 3, `${rows} stage rows in the table`);
    return names;
  });

  await check('choosing the second class recomputes the CAM for it, and the overlay changes', async () => {
    const second = first.top5[1].index;
    await page.click(`#top5 button[data-index="${second}"]`);
    const s = await waitForCam(page, first.camGeneration);
    assert(s.cam.target === second && s.target === second, `target ${s.cam.target}, wanted ${second}`);
    const pressed = await page.$eval(`#top5 button[data-index="${second}"]`, (b) => b.getAttribute('aria-pressed'));
    assert(pressed === 'true', 'the chosen class is not marked pressed');
    const overlay2 = await canvasRgba(page, 'overlay');
    const d = compareRgb(overlay2.data, Uint8Array.from(overlay1.data.filter((_, i) => i % 4 !== 3)), 224, 224);
    assert(d.over1 > 1000, `the overlay barely changed (${d.over1} bytes differ by >1)`);
    // The issue-26 figure: navigation to the first heatmap against a warm Grad-CAM run in the same page.
    const warm = s.jobMs['2'];
    return `${d.over1} bytes changed; this warm Grad-CAM run took ${(warm / 1000).toFixed(1)} s, the first heatmap ${(first.firstCamMs / warm).toFixed(1)}x that`;
  });
  await screenshot(page, '03-second-class');

  await check('downloads: .npy (header written by the app) and .safetensors hold the shown CAM', async () => {
    const dir = mkdtempSync(join(tmp, 'downloads-'));
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    const map = await page.evaluate(() => window.__wgcam.camMap());
    await page.click('#download-npy');
    await page.click('#download-safetensors');
    await page.click('#download-png');
    const deadline = Date.now() + 30_000;
    let files = [];
    while (Date.now() < deadline) {
      files = readdirSync(dir).filter((f) => !f.endsWith('.crdownload'));
      if (files.length >= 3) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const npyName = files.find((f) => f.endsWith('.npy'));
    const stName = files.find((f) => f.endsWith('.safetensors'));
    const pngName = files.find((f) => f.endsWith('.png'));
    assert(npyName && stName && pngName, `downloaded ${files.join(', ') || 'nothing'}`);
    const npy = readNpy(new Uint8Array(readFileSync(join(dir, npyName))));
    assert(npy.descr === '<f4' && npy.fortran === 'False' && JSON.stringify(npy.shape) === '[224,224]', `npy header ${npy.descr} ${npy.fortran} ${npy.shape}`);
    for (let i = 0; i < map.length; i++) assert(npy.data[i] === Math.fround(map[i]), `npy value ${i} differs`);
    const st = readSafetensors(new Uint8Array(readFileSync(join(dir, stName))));
    const stMap = [...st.tensors.entries()].find(([n]) => n.endsWith('.map'))?.[1];
    assert(stMap && stMap.dtype === 'F32' && stMap.data.length === map.length, 'safetensors has no matching map');
    for (let i = 0; i < map.length; i++) assert(stMap.data[i] === Math.fround(map[i]), `safetensors value ${i} differs`);
    const png = pngToRgb(join(dir, pngName));
    const shown = await canvasRgba(page, 'overlay');
    const d = compareRgb(shown.data, png.rgb, 224, 224);
    assert(d.max === 0, `downloaded PNG differs from the canvas (max ${d.max})`);
    await cdp.detach();
    return `${npyName}, ${stName} (metadata target ${st.metadata.target}), ${pngName}`;
  });

  await check('colour map and opacity redraw the overlay without recomputing the CAM, as the CLI draws it', async () => {
    const before = await snapshot(page);
    const jet = await canvasRgba(page, 'overlay');
    await page.select('#colormap', 'viridis');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.colormap === 'viridis', `colormap ${s.colormap}`);
    const kernels = s.timings?.source === 'gpu' ? s.timings.stages.map((r) => r.stage).join(' | ') : '';
    assert(!/Backward/.test(kernels), `a backward pass ran for a colour-map change: ${kernels}`);
    await page.$eval('#alpha', (el) => {
      el.value = '0.8';
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    const s2 = await waitForCam(page, s.camGeneration);
    assert(Math.abs(s2.alpha - 0.8) < 1e-9, `alpha ${s2.alpha}`);
    const shown = await canvasRgba(page, 'overlay');
    const changed = compareRgb(shown.data, Uint8Array.from(jet.data.filter((_, i) => i % 4 !== 3)), 224, 224);
    assert(changed.over1 > 1000, `the overlay barely changed (${changed.over1} bytes)`);
    assert(cli.viridis734, `no CLI overlay for viridis (${cli.why})`);
    assert(s2.cam.target === 734, `target ${s2.cam.target}, the CLI reference is for 734`);
    const d = compareRgb(shown.data, cli.viridis734.rgb, 224, 224);
    assert(d.fraction < 0.005, `vs CLI --colormap viridis --alpha 0.8: ${d.over1} bytes (${(d.fraction * 100).toFixed(2)}%) differ by more than 1; max ${d.max}`);
    return `${d.over1} bytes differ from the CLI's by >1, max ${d.max}`;
  });
  await screenshot(page, '04-viridis');

  await check('hover readout shows the CAM value under the pointer', async () => {
    const box = await page.$eval('#overlay', (c) => {
      c.scrollIntoView({ block: 'center' });
      const r = c.getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height };
    });
    await page.mouse.move(box.x + box.w * 0.5 + 0.5, box.y + box.h * 0.25 + 0.5, { steps: 3 });
    const text = await page.$eval('#readout', (el) => el.textContent);
    const map = await page.evaluate(() => window.__wgcam.camMap());
    const x = Math.floor(0.5 * 224);
    const y = Math.floor(0.25 * 224);
    const want = map[y * 224 + x].toFixed(3);
    assert(text.includes(want), `readout "${text}", expected ${want} at (${x}, ${y})`);
    return text;
  });

  await check('class search: typing a label explains that class', async () => {
    const before = await snapshot(page);
    await page.click('#class-search', { clickCount: 3 });
    await page.type('#class-search', 'tabby');
    await page.keyboard.press('Enter');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.target === 281 && s.cam.target === 281, `target ${s.target}`);
  });

  await check('layer picker: layer3 recomputes the CAM at layer3', async () => {
    const before = await snapshot(page);
    await page.select('#layer', 'layer3');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.cam.layer === 'layer3', `layer ${s.cam.layer}`);
    const options = await page.$$eval('#layer option', (o) => o.map((x) => x.value));
    for (const want of ['layer1', 'layer2', 'layer3', 'layer4', 'layer4.2.conv3', 'layer2.0.downsample.0', 'maxpool']) assert(options.includes(want), `no layer option ${want}`);
  });
  await screenshot(page, '05-layer3-tabby');

  await check('method picker: every method of the library is offered; Grad-CAM++ at layer4 equals the CLI (--method gradcam++)', async () => {
    const options = await page.$$eval('#method option', (o) => o.map((x) => x.value));
    for (const want of ['gradcam', 'hirescam', 'gradcamelementwise', 'gradcam++', 'xgradcam', 'layercam', 'eigencam', 'eigengradcam', 'scorecam', 'ablationcam']) {
      assert(options.includes(want), `no method option ${want} (${options.join(', ')})`);
    }
    assert(cli.gradcampp, `no CLI reference: ${cli.why}`);
    let before = await snapshot(page);
    await page.select('#layer', 'layer4');
    if (before.cam.layer !== 'layer4') before = await waitForCam(page, before.camGeneration);
    await page.evaluate((t) => {
      const input = document.getElementById('class-search');
      input.value = String(t);
    }, cli.gradcamppTarget);
    await page.click('#class-form button[type="submit"]');
    before = await waitForCam(page, before.camGeneration);
    await page.select('#method', 'gradcam++');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.method === 'gradcam++' && s.cam.method === 'gradcam++' && s.cam.layer === 'layer4' && s.cam.target === cli.gradcamppTarget, `cam ${JSON.stringify(s.cam)}`);
    const map = await page.evaluate(() => window.__wgcam.camMap());
    let max = 0;
    for (let i = 0; i < map.length; i++) max = Math.max(max, Math.abs(map[i] - cli.gradcampp[i]));
    assert(map.length === cli.gradcampp.length && max < 2e-3, `max abs error ${max} against the CLI's gradcam++ map`);
    assert(new URL(page.url()).searchParams.get('method') === 'gradcam++', `the URL says method=${new URL(page.url()).searchParams.get('method')}`);
    return `max abs error against the CLI's map ${max.toExponential(2)}`;
  });

  await check('method grid: every method but the masked-forward ones (not ticked) side by side, each tile its own overlay', async () => {
    let before = await snapshot(page);
    await page.select('#layer', 'layer3');
    before = await waitForCam(page, before.camGeneration);
    await page.select('#method', 'gradcam');
    before = await waitForCam(page, before.camGeneration);
    await page.click('#method-grid-run');
    const slow = ['scorecam', 'ablationcam'];
    await page.waitForFunction((n) => {
      const s = window.__wgcam.state();
      return s.phase === 'idle' && s.grid.length > 0 && s.grid.length === document.querySelectorAll('#method-grid .method-tile').length - n;
    }, { timeout: SLOW_MS, polling: 1000 }, slow.length);
    const s = await snapshot(page);
    const tiles = await page.$$eval('#method-grid .method-tile', (t) => t.map((x) => ({ id: x.dataset.method, done: x.dataset.done === 'true' })));
    assert(tiles.length >= 11 && tiles.every((t) => t.done === !slow.includes(t.id)), `tiles ${JSON.stringify(tiles)}`);
    const status = await page.$eval('#method-grid-status', (e) => e.textContent);
    assert(/Score-CAM and Ablation-CAM/.test(status), `the grid does not say what it left out: ${status}`);
    // Each tile holds its own overlay: no two methods' tiles are identical across the board.
    const first = await canvasRgba(page, null, '#method-grid [data-method="gradcam"] canvas');
    const eigen = await canvasRgba(page, null, '#method-grid [data-method="eigencam"] canvas');
    const d = compareRgb(first.data, Uint8Array.from(eigen.data.filter((_, i) => i % 4 !== 3)), 224, 224);
    assert(d.over1 > 0, 'the Grad-CAM and Eigen-CAM tiles are identical');
    return `${s.grid.length} methods: ${s.grid.join(', ')}`;
  });
  await screenshot(page, '05b-method-grid');

  await check('the URL records the view, and opening it (second visit) restores it: same class, layer, colour map, opacity, map', async () => {
    const s0 = await waitIdle(page);
    const url = new URL(page.url());
    const q = Object.fromEntries(url.searchParams);
    const want = { weights: 'synthetic', image: 'chelsea', class: String(s0.cam.target), layer: s0.cam.layer, method: 'gradcam', colormap: s0.colormap, opacity: String(s0.alpha) };
    for (const [k, v] of Object.entries(want)) assert(q[k] === v, `URL ${k}=${q[k]}, wanted ${v} (${url.search})`);
    const map0 = await page.evaluate(() => window.__wgcam.camMap());
    const other = await openPage(browser, url.href, { record: true });
    try {
      const s = await waitForCam(other, 0);
      assert(s.errors.length === 0, `errors shown: ${JSON.stringify(s.errors)}`);
      assert(s.sample === 'chelsea' && s.cam.target === s0.cam.target && s.cam.layer === s0.cam.layer && s.colormap === s0.colormap && s.alpha === s0.alpha && s.method === 'gradcam', `restored ${JSON.stringify({ sample: s.sample, cam: s.cam, colormap: s.colormap, alpha: s.alpha })}`);
      const controls = await other.evaluate(() => ['layer', 'method', 'colormap', 'alpha'].map((id) => document.getElementById(id).value));
      assert(JSON.stringify(controls) === JSON.stringify([s0.cam.layer, 'gradcam', s0.colormap, String(s0.alpha)]), `controls show ${controls}`);
      const map = await other.evaluate(() => window.__wgcam.camMap());
      let max = 0;
      for (let i = 0; i < map.length; i++) max = Math.max(max, Math.abs(map[i] - map0[i]));
      assert(map.length === map0.length && max < 1e-5, `the restored map differs from the shown one by ${max}`);
      const seen = await other.evaluate(() => window.__seen);
      assert(!seen.status.some((t) => /No GPU session/.test(t)), `the status said ${JSON.stringify(seen.status)}`);
        assert(s.tuning && s.tuning.firstJobWaited === false, `the first job waited on kernel tuning (${JSON.stringify(s.tuning)})`);
      return `${url.search}; navigation to the first heatmap ${(s.firstCamMs / 1000).toFixed(1)} s (second visit, same profile)`;
    } finally {
      await other.close();
    }
  });

  await check('layer select: three ArrowDowns in a row start one run, at the third layer', async () => {
    const before = await waitIdle(page);
    const options = await page.$$eval('#layer option', (o) => o.map((x) => x.value));
    const expected = options[options.indexOf(before.layer) + 3];
    await page.focus('#layer');
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('ArrowDown');
      await new Promise((r) => setTimeout(r, 150));
    }
    const s = await waitForCam(page, before.camGeneration);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await waitIdle(page);
    assert(s.layer === expected && after.cam.layer === expected, `layer ${s.layer} / CAM at ${after.cam.layer}, expected ${expected}`);
    assert(after.networkRuns - before.networkRuns === 1, `${after.networkRuns - before.networkRuns} runs for three steps`);
    return `${before.layer} -> ${expected}, 1 run`;
  });

  await check('at 1280x800 the top-5 sits beside the heatmap', async () => {
    await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 1 });
    const r = await page.evaluate(() => {
      const box = (sel) => document.querySelector(sel).getBoundingClientRect().toJSON();
      return { overlay: box('#overlay'), top5: box('#top5') };
    });
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
    assert(r.top5.left >= r.overlay.right - 1 && r.top5.top < r.overlay.bottom, `overlay ${JSON.stringify(r.overlay)}, top-5 ${JSON.stringify(r.top5)}`);
    return `overlay right ${r.overlay.right.toFixed(0)}, top-5 left ${r.top5.left.toFixed(0)}`;
  });

  await check('the overlay over the whole picture: the original resolution, and back to the crop', async () => {
    const before = await waitIdle(page);
    const size = await page.$eval('#image-name', (el) => /\((\d+) × (\d+)\)/.exec(el.textContent).slice(1).map(Number));
    await page.click('#view-full');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.view === 'full' && s.errors.length === 0, `view ${s.view}, errors ${JSON.stringify(s.errors)}`);
    const full = await page.$eval('#overlay', (c) => [c.width, c.height]);
    assert(full[0] === size[0] && full[1] === size[1], `the full view is ${full} for a ${size} picture`);
    const caption = await page.$eval('#overlay-caption', (el) => el.textContent);
    assert(/whole picture/.test(caption), `caption "${caption}"`);
    await screenshot(page, '05b-full-picture');
    await page.click('#view-full');
    const crop = await page.$eval('#overlay', (c) => [c.width, c.height]);
    assert(crop[0] === 224 && crop[1] === 224, `back in the crop view the overlay is ${crop}`);
    return `${full[0]} x ${full[1]}`;
  });

  await check('every form control has an accessible label', async () => {
    const unlabelled = await page.$$eval('input, select, button', (els) =>
      els
        .filter((el) => !(el.type === 'file' && el.classList.contains('visually-hidden-file') && el.labels.length))
        .filter((el) => {
          const name = (el.getAttribute('aria-label') || (el.labels && [...el.labels].map((l) => l.textContent).join(' ')) || el.textContent || '').trim();
          return !name;
        })
        .map((el) => el.id || el.outerHTML.slice(0, 60)),
    );
    assert(unlabelled.length === 0, `unlabelled: ${unlabelled.join(', ')}`);
  });

  await check('keyboard: Tab walks weights, image, samples, then the results controls; arrow keys move the readout', async () => {
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    // Clicking the heading moves the sequential focus starting point there (a blur alone leaves it after the
    // last control used).
    await page.click('.site-header h1');
    const order = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const el = document.activeElement;
        return el ? el.id || (el.dataset.sample ? `sample:${el.dataset.sample}` : el.dataset.index ? `class:${el.dataset.index}` : el.tagName.toLowerCase()) : '';
      }));
    }
    const at = (id) => order.indexOf(id);
    const want = ['weights-pretrained', 'weights-file', 'weights-synthetic', 'image-file', 'sample:chelsea', 'original', 'overlay', 'layer', 'colormap', 'alpha', 'class-search'];
    for (const id of want) assert(at(id) >= 0, `Tab never reaches #${id} (order: ${order.join(' ')})`);
    for (let i = 1; i < want.length; i++) assert(at(want[i - 1]) < at(want[i]), `#${want[i - 1]} comes after #${want[i]} (order: ${order.join(' ')})`);
    assert(order.some((id) => id.startsWith('class:')), 'Tab never reaches the top-5 buttons');
    await page.focus('#overlay');
    await page.keyboard.press('ArrowRight');
    const text = await page.$eval('#readout', (el) => el.textContent);
    assert(/CAM \d\.\d{3} at x \d+, y \d+/.test(text), `readout "${text}"`);
    return order.slice(0, 14).join(' ');
  });

  await check('device lost: an alert offers recovery, and recovering restores a working session', async () => {
    const before = await snapshot(page);
    const lost = await page.evaluate(() => window.__wgcam.loseDevice());
    assert(lost, 'no device to lose');
    const alert = await waitForAlert(page, 'gpu', 60_000);
    assert(alert.code === 'DEVICE_LOST', `alert code ${alert.code}`);
    assert(alert.buttons.includes('Recover'), `buttons ${alert.buttons}`);
    await screenshot(page, '06-device-lost');
    // With the keyboard, as a person without a mouse would.
    await page.$$eval('#alerts [data-topic="gpu"] button', (bs) => bs.find((b) => b.textContent === 'Recover').focus());
    await page.keyboard.press('Enter');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.adapter !== null && s.errors.length === 0, `after recovery: ${JSON.stringify(s.errors)}`);
    assert(s.cam.target === before.target && s.cam.layer === before.layer, 'the recovered run explains another class or layer');
  });
  await screenshot(page, '07-recovered');
  await dumpConsole(page, '07-recovered');

  let adapterHasF16 = null; // unknown until the check below has asked the adapter
  await check('the f16 switch is usable exactly when the adapter has shader-f16, and says why when not', async () => {
    await page.select('#layer', 'layer4');
    const before = await waitIdle(page);
    assert(before.precision === 'f32', `precision before the switch: ${before.precision}`);
    adapterHasF16 = await page.evaluate(async () => (await navigator.gpu.requestAdapter()).features.has('shader-f16'));
    const usable = await page.$eval('#precision-f16', (el) => !el.disabled);
    assert(usable === adapterHasF16, `the switch is ${usable ? 'usable' : 'disabled'}, the adapter ${adapterHasF16 ? 'has' : 'lacks'} shader-f16`);
    if (!adapterHasF16) {
      const hint = await page.$eval('#precision-hint', (el) => el.textContent);
      assert(/not available/.test(hint), `hint "${hint}"`);
      return 'this adapter has no shader-f16: the switch is disabled';
    }
    return 'this adapter has shader-f16: the switch is usable';
  });
  // Chromium's SwiftShader has no shader-f16: there the f16 numbers are checked in Node only
  // (test/precision_f16.test.ts), and the e2e summary names this check as skipped.
  if (adapterHasF16 !== true) {
    const why = adapterHasF16 === false ? "the browser's adapter has no shader-f16 (the f16 numbers are checked in Node: test/precision_f16.test.ts)" : 'the check above failed before it learnt the adapter\'s features';
    skip('f16 session against the CLI', why);
  } else await check('with f16 GEMM operands a new session explains chelsea: top-1 as the fixture, CAM map within 5e-3 of the CLI (f32)', async () => {
    const before = await waitIdle(page);
    await page.click('#precision-f16');
    const s = await waitForCam(page, before.camGeneration);
    assert(s.precision === 'f16' && s.errors.length === 0, `precision ${s.precision}, errors ${JSON.stringify(s.errors)}`);
    assert(/GEMM operands: f16/.test(await page.$eval('#adapter', (el) => el.textContent)), 'the adapter line does not say f16');
    assert(s.top5[0]?.index === FIXTURE_TOP5[0] && s.cam.layer === 'layer4' && s.cam.target === FIXTURE_TOP5[0], `top-1 ${s.top5[0]?.index}, CAM ${JSON.stringify(s.cam)}`);
    const map = await page.evaluate(() => window.__wgcam.camMap());
    let max = 0;
    for (let i = 0; i < map.length; i++) max = Math.max(max, Math.abs(map[i] - cli.map[i]));
    // README: the f16 map is 8e-4 (max abs) from PyTorch's on lavapipe; the Node test bounds it at 5e-3.
    assert(max < 5e-3, `max abs error ${max}`);
    return `max abs error against the CLI's f32 map ${max.toExponential(2)}`;
  });
  await page.close();
}

async function errorPaths(browser, base) {
  await check('bad weights file (via the file input) shows an error and keeps the page usable', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic`);
    await waitIdle(page);
    const bad = join(tmp, 'bad.safetensors');
    writeFileSync(bad, 'this is not a safetensors file, only some text\n'.repeat(10));
    const input = await page.$('#weights-file');
    await input.uploadFile(bad);
    const alert = await waitForAlert(page, 'weights');
    assert(/^WEIGHTS_/.test(alert.code), `code ${alert.code}`);
    const s = await snapshot(page);
    assert(s.weights === 'synthetic' && s.adapter !== null, 'the previous weights were dropped');
    assert(await page.$eval('#weights-synthetic', (b) => !b.disabled), 'weights buttons stay disabled');
    await screenshot(page, '08-bad-weights');
    await page.close();
    return `${alert.code}: ${alert.text.slice(0, 100)}`;
  });

  await check('a class typed before any image is kept for the next image, and the page says so', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic`);
    await waitIdle(page);
    await page.type('#class-search', 'tabby');
    await page.keyboard.press('Enter');
    const s = await snapshot(page);
    assert(s.nextTarget === 281 && s.image === null, `nextTarget ${s.nextTarget}, image ${s.image}`);
    assert(s.errors.length === 0, `errors shown: ${JSON.stringify(s.errors)}`);
    const [target, field] = await page.evaluate(() => [document.getElementById('target').textContent, document.getElementById('class-search').value]);
    assert(/281/.test(target) && /next image/.test(target), `the page says "${target}"`);
    assert(field === '281: tabby', `the field shows "${field}"`);
    assert(new URL(page.url()).searchParams.get('class') === '281', `URL ${page.url()}`);
    await page.close();
    return target;
  });

  await check('undecodable image (via the file input) shows an error', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic`);
    await waitIdle(page);
    const broken = join(tmp, 'broken.png');
    writeFileSync(broken, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage'.repeat(50))]));
    const input = await page.$('#image-file');
    await input.uploadFile(broken);
    const alert = await waitForAlert(page, 'image');
    assert(/broken\.png/.test(alert.text), `alert "${alert.text}"`);
    const s = await snapshot(page);
    assert(s.image === null && s.phase === 'idle', `state ${s.phase}, image ${s.image}`);
    await screenshot(page, '09-bad-image');
    await page.close();
    return `${alert.code}: ${alert.text.slice(0, 100)}`;
  });

  await check('?precision=f16 on an adapter without shader-f16: says so and runs in f32', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic&precision=f16`, { noF16: true });
    const alert = await waitForAlert(page, 'precision', 60_000);
    assert(alert.code === 'NO_SHADER_F16', `code ${alert.code}`);
    const s = await waitIdle(page);
    assert(s.precision === 'f32' && s.adapter !== null, `precision ${s.precision}, adapter ${s.adapter}`);
    assert(await page.$eval('#precision-f16', (el) => el.disabled && !el.checked), 'the f16 switch is usable without shader-f16');
    await page.close();
    return alert.text.slice(0, 100);
  });

  await check('?precision=f64 (neither f32 nor f16): says so and runs in f32', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic&precision=f64`);
    const alert = await waitForAlert(page, 'precision', 60_000);
    assert(alert.code === 'BAD_ARGUMENT' && /f64/.test(alert.text), `alert ${JSON.stringify(alert)}`);
    const s = await waitIdle(page);
    assert(s.precision === 'f32' && s.adapter !== null, `precision ${s.precision}, adapter ${s.adapter}`);
    await page.close();
    return alert.text;
  });

  await check('no WebGPU (navigator.gpu removed): explains how to enable it; pictures (sample, paste, drop) still show', async () => {
    const page = await openPage(browser, `${base}?weights=synthetic`, { noGpu: true });
    const alert = await waitForAlert(page, 'gpu', 30_000);
    assert(alert.code === 'NO_WEBGPU', `code ${alert.code}`);
    assert(alert.text.includes('chrome://flags/#enable-unsafe-webgpu'), 'no hint about chrome://flags');
    await page.click('#samples button[data-sample="coffee"]');
    await page.waitForFunction(() => window.__wgcam.state().image === 'coffee.png', { timeout: 30_000 });
    const px = await canvasRgba(page, 'original');
    assert(px.width === 600 && px.height === 400 && px.data.some((v, i) => i % 4 !== 3 && v > 0), `original canvas ${px.width}x${px.height}`);
    await screenshot(page, '10-no-webgpu');
    // Paste and drop (here, where no GPU run follows, they are cheap to check).
    const viaEvent = (kind, sample, name) =>
      page.evaluate(
        async (kind, sample, name) => {
          const url = document.querySelector(`#samples button[data-sample="${sample}"] img`).src;
          const blob = await (await fetch(url)).blob();
          const dt = new DataTransfer();
          dt.items.add(new File([blob], name, { type: blob.type }));
          const event = kind === 'paste' ? new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }) : new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
          document.body.dispatchEvent(event);
        },
        kind,
        sample,
        name,
      );
    await viaEvent('paste', 'chelsea', 'pasted-cat.png');
    await page.waitForFunction(() => window.__wgcam.state().image === 'pasted-cat.png', { timeout: 30_000 });
    await viaEvent('drop', 'rocket', 'dropped-rocket.jpg');
    await page.waitForFunction(() => window.__wgcam.state().image === 'dropped-rocket.jpg', { timeout: 30_000 });
    const px2 = await canvasRgba(page, 'original');
    assert(px2.width === 640 && px2.height === 427, `dropped image drawn at ${px2.width}x${px2.height}`);
    await page.close();
  });

  await check('pretrained download whose SHA-256 is wrong: error shown, nothing cached', async () => {
    const page = await openPage(browser, base);
    const s0 = await snapshot(page);
    assert(s0.weights === null && s0.errors.length === 0, `start state ${JSON.stringify(s0)}`);
    // No network here: answer the Hugging Face request with 4 MiB of zeros (what a captive portal might do).
    const body = Buffer.alloc(4 << 20);
    await page.setRequestInterception(true);
    let served = 0;
    page.on('request', (req) => {
      if (req.url().startsWith('https://huggingface.co/')) {
        served++;
        void req.respond({ status: 200, headers: { 'access-control-allow-origin': '*', 'content-length': String(body.length) }, contentType: 'application/octet-stream', body });
      } else void req.continue();
    });
    await page.click('#weights-pretrained');
    const alert = await waitForAlert(page, 'weights', 120_000);
    assert(served === 1, `the weights URL was requested ${served} times`);
    assert(alert.code === 'CHECKSUM_MISMATCH', `code ${alert.code}: ${alert.text}`);
    const cached = await page.evaluate(async () => (await caches.keys()).length && (await (await caches.open('wgcam-weights-v1')).keys()).length);
    assert(!cached, 'something was cached');
    await screenshot(page, '11b-checksum');
    await page.close();
    return alert.text.slice(0, 120);
  });

  await check('weights download failure (?weights=https://127.0.0.1:1/nope.safetensors) shows an error', async () => {
    const page = await openPage(browser, `${base}?weights=${encodeURIComponent('https://127.0.0.1:1/nope.safetensors')}`);
    const alert = await waitForAlert(page, 'weights', 60_000);
    assert(alert.code === 'DOWNLOAD_FAILED', `code ${alert.code}`);
    assert(/synthetic/.test(alert.text) && !/--weights/.test(alert.text), `hint "${alert.text}"`);
    assert(alert.buttons.includes('Use synthetic weights'), `buttons ${alert.buttons}`);
    await screenshot(page, '11-download-failed');
    await page.close();
    return alert.text.slice(0, 120);
  });
}

async function phoneLayout(browser, base) {
  let page;
  await check('phone width (390 px): one column, no horizontal scrolling', async () => {
    page = await openPage(browser, `${base}?weights=synthetic`, { width: 390, height: 844, noTimestamps: true });
    await waitIdle(page);
    const m = await page.evaluate(() => {
      const r = (sel) => {
        const b = document.querySelector(sel).getBoundingClientRect();
        return { left: b.left, top: b.top, width: b.width };
      };
      return {
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        weights: r('.weights-panel'),
        results: r('.results-panel'),
        image: r('.image-panel'),
      };
    });
    assert(m.scroll <= m.inner, `page is ${m.scroll}px wide in a ${m.inner}px viewport`);
    assert(Math.abs(m.weights.left - m.results.left) < 2 && m.results.top > m.image.top, `panels are not stacked in one column: ${JSON.stringify(m)}`);
    await screenshot(page, '12-phone');
  });
  if (!page) return;
  await check('without timestamp-query: CPU-side timings, labelled as such (and a run at phone width)', async () => {
    await page.click('#samples button[data-sample="astronaut"]');
    const s = await waitForCam(page, 0);
    assert(s.hasTimestamps === false, 'the device still has timestamp-query');
    assert(s.timings && s.timings.source === 'cpu' && s.timings.kernels.length === 0, `timings ${JSON.stringify(s.timings)}`);
    const note = await page.$eval('#timings-source', (el) => el.textContent);
    assert(/CPU-side/.test(note), `note "${note}"`);
    assert(await page.$eval('#kernels-details', (el) => el.hidden), 'the per-kernel table is shown without GPU times');
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(scroll <= 0, `the page scrolls sideways by ${scroll}px with results shown`);
    await screenshot(page, '13-phone-results');
    return s.timings.stages.map((r) => `${r.stage} ${r.ms.toFixed(0)} ms`).join(' | ');
  });
  await page.close();
}

main()
  .catch((e) => {
    log(`FAIL ${e instanceof Error ? e.stack : String(e)}`);
    results.push({ name: 'setup', ok: false });
  })
  .finally(() => {
    finish();
    rmSync(tmp, { recursive: true, force: true });
    clearTimeout(watchdog);
  });
