#!/usr/bin/env node
// The `wgcam` command.
// - An installed package runs the built JavaScript, lib/cli.js (`npm run build:lib`; the tarball has no src/).
// - A checkout of the repository (src/ beside bin/) runs the TypeScript sources, so that it never runs a stale
//   build: tsx compiles them on the fly and a tiny hook serves `*.wgsl?raw` imports as strings, as Vite does in
//   the browser. It also adds the `bench` command from bench/, which the package's code never imports.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
const extra = {};
if (existsSync(sources)) {
  const { register } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  register('./wgsl-loader.mjs', import.meta.url);
  ({ main } = await import(sources.href));
  const benchCli = new URL('../bench/cli.ts', import.meta.url);
  if (existsSync(benchCli)) extra.bench = (await import(benchCli.href)).bench;
} else {
  ({ main } = await import('../lib/cli.js'));
}
process.exitCode = await main(process.argv.slice(2), extra);
