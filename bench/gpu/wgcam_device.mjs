#!/usr/bin/env node
// `wgcam` on a lent GPU machine (bench/gpu/device_run.sh). bin/wgcam.mjs compiles the TypeScript sources with
// tsx, whose esbuild binary bench/gpu/pack.sh leaves behind to make room for onnxruntime-node under the device
// tool's 64 MiB; here they go through rolldown's transform instead (ts_hooks.mjs; rolldown travels anyway, for
// vitest's Vite), and WGSL through bin/wgsl-loader.mjs as usual.
import { register } from 'node:module';

register('./ts_hooks.mjs', import.meta.url);
register('../../bin/wgsl-loader.mjs', import.meta.url);
const { main } = await import('../../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
