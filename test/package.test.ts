// The npm package's boundaries and metadata: the core entry (`wgcam`) reaches no Node module and no package,
// src/ never imports bench/ (bench depends on src, never the reverse), and the version the CLI prints is
// package.json's. The package as installed is test/package_install.test.ts's.
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { ROOT, checkBrowserSafe, esbuildOptions, externalImports } from '../scripts/build-lib.mjs';
import { VERSION } from '../src/version.ts';


const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

test('no file under src/ imports from bench/', () => {
  const offenders = sourceFiles(join(ROOT, 'src')).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    return specifiers.filter((s) => /(^|\/)bench(\/|$)/.test(s)).map((s) => `${relative(ROOT, file)}: ${s}`);
  });
  expect(offenders).toEqual([]);
});

test('src/version.ts says the version package.json says', () => {
  expect(VERSION).toBe(PACKAGE.version);
});

test("the core's bundle imports nothing outside itself (no node: module, no package); wgcam/node's does", async () => {
  const outdir = join(tmpdir(), 'wgcam-lib-check');
  const { metafile } = await build({ ...esbuildOptions({ outdir, write: false }), logLevel: 'silent' });
  expect(() => checkBrowserSafe(metafile, outdir)).not.toThrow();
  // The walk finds what the Node entry reaches, lazily imported chunks included: Dawn, the file system, the
  // image decoders.
  const fromNode = new Set(externalImports(metafile, relative(ROOT, join(outdir, 'node.js'))).map((i) => i.path));
  expect([...fromNode]).toEqual(expect.arrayContaining(['webgpu', 'node:fs/promises', 'pngjs', 'jpeg-js']));
});
