#!/usr/bin/env node
// The `wgcam` command. The project ships TypeScript sources: tsx compiles them on the fly, and a tiny hook
// serves `*.wgsl?raw` imports as strings, as Vite does in the browser. In a checkout of the repository it also
// adds the `bench` command from bench/, which the package's code (src/) never imports.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./wgsl-loader.mjs', import.meta.url);
const { main } = await import('../src/cli/main.ts');
const extra = {};
const benchCli = new URL('../bench/cli.ts', import.meta.url);
if (existsSync(benchCli)) extra.bench = (await import(benchCli.href)).bench;
process.exitCode = await main(process.argv.slice(2), extra);
