#!/usr/bin/env node
// `npm run build:lib`: the npm package's code, in lib/ (the app's `npm run build` owns dist/).
// - JavaScript: esbuild bundles each entry point (src/index.ts, src/node/index.ts, src/cli/main.ts) to ES
//   modules, code shared between entries in lib/chunks/, every `*.wgsl?raw` import inlined as a string, the
//   ImageNet labels inlined. Packages (webgpu, pngjs, jpeg-js) and node: modules stay imports.
// - Types: tsc writes .d.ts files for what the two library entries reach, into lib/types/.
// - Checks: the core's output graph (lib/index.js and every chunk it loads, statically or lazily) imports
//   nothing outside lib/: no node: module, no package. That keeps `wgcam` browser-safe and loadable from a
//   plain <script type="module">.
// Entry-based, so it follows the sources wherever they move; no file list to keep.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(ROOT, 'lib');

/** Output name (under lib/, without .js) -> source entry. */
export const ENTRIES = {
  index: 'src/index.ts',
  node: 'src/node/index.ts',
  cli: 'src/cli/main.ts',
};

/** `import text from './x.wgsl?raw'` -> the file's text as a string, as Vite's `?raw` and bin/wgsl-loader.mjs do. */
export const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\?raw$/, '')), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text', watchFiles: [args.path] }));
  },
};

/** esbuild's options for the package's JavaScript; `write: false` keeps the output in memory (the tests). */
export function esbuildOptions({ outdir = OUT, write = true } = {}) {
  return {
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, src]) => [out, join(ROOT, src)])),
    outdir,
    write,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [rawText],
  };
}

/**
 * Every import in `entry`'s output graph that leaves the build (a node: module, a package), with the chain of
 * outputs that reaches it; `entry` is an output path relative to ROOT, e.g. lib/index.js.
 */
export function externalImports(metafile, entry) {
  const found = [];
  const seen = new Set();
  const walk = (out, chain) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const imp of metafile.outputs[out]?.imports ?? []) {
      if (imp.external) found.push({ path: imp.path, kind: imp.kind, via: [...chain, out] });
      else walk(imp.path, [...chain, out]);
    }
  };
  walk(entry, []);
  return found;
}

/** The core's output must be self-contained; throws with every offending import. */
export function checkBrowserSafe(metafile, outdir = OUT) {
  const entry = relative(ROOT, join(outdir, 'index.js'));
  const bad = externalImports(metafile, entry);
  if (bad.length > 0) {
    const lines = bad.map((b) => `  ${b.path} (${b.kind}) via ${b.via.join(' -> ')}`);
    throw new Error(`${entry} must not import anything outside the bundle (it is the browser-safe core):\n${lines.join('\n')}`);
  }
}

async function buildTypes() {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.lib.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('tsc could not write the declarations (above)');
  // The sources import './x.ts'; declarations that users' TypeScript reads import './x.js' (-> x.d.ts).
  const typesDir = join(OUT, 'types');
  for (const file of await listFiles(typesDir)) {
    if (!file.endsWith('.d.ts')) continue;
    const text = await readFile(file, 'utf8');
    const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
    if (fixed !== text) await writeFile(file, fixed);
  }
}

async function listFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function main() {
  const started = performance.now();
  await rm(OUT, { recursive: true, force: true });
  const result = await build(esbuildOptions());
  checkBrowserSafe(result.metafile);
  await mkdir(OUT, { recursive: true });
  await copyFile(join(ROOT, 'src/model/imagenet_classes.json'), join(OUT, 'imagenet_classes.json'));
  await buildTypes();
  const files = await listFiles(OUT);
  const js = files.filter((f) => f.endsWith('.js'));
  let bytes = 0;
  for (const f of js) bytes += (await readFile(f)).length;
  console.log(`lib/: ${js.length} JavaScript files (${(bytes / 1024).toFixed(0)} KiB), ${files.filter((f) => f.endsWith('.d.ts')).length} declaration files, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`build:lib: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
