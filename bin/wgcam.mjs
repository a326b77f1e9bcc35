#!/usr/bin/env node
// The `wgcam` command. The project ships TypeScript sources: tsx compiles them on the fly, and a tiny hook
// serves `*.wgsl?raw` imports as strings, as Vite does in the browser.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./wgsl-loader.mjs', import.meta.url);
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
