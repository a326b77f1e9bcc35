// The npm package's boundaries and metadata: src/ never imports bench/ (bench depends on src, never the
// reverse), and the version the CLI prints is package.json's.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { VERSION } from '../src/version.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

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
