// TensorFlow.js's WebGPU backend in Node, on the Dawn that wgcam runs on (src/node/gpu.ts). Node-only.
//
// Two things stand between Node and the packages as published:
// - @tensorflow/tfjs-core's gradients (`dist/register_all_gradients`) are ES modules with extensionless imports,
//   which Node's loader refuses; the union package @tensorflow/tfjs imports them, core alone does not. esbuild
//   bundles core, the gradients and the WebGPU backend into one ES module (core's `module` entry everywhere,
//   so that there is one copy of its engine), kept in node_modules/.cache and rebuilt when a version changes.
// - The backend looks for `navigator.gpu` when it is imported (to register itself) and when the backend starts
//   (to ask for its adapter and device). Node 20 has no navigator; Node 21+ has one without `gpu`. The loader
//   lends `{ gpu }` (Dawn's GPU object, the one wgcam's contexts use) for those two steps and restores what was
//   there. The backend asks for its own adapter and device, as it does in a browser.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeGpu } from '../../src/node/gpu.ts';
import type { Tf } from './tfjs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const requireHere = createRequire(import.meta.url);
const PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', 'esbuild'] as const;

/** The bundle: prebuilt copies (bench/gpu/pack.sh carries one to a machine without the packages) are used as they are. */
export const TFJS_BUNDLE = join(ROOT, 'node_modules/.cache/wgcam-bench/tfjs-webgpu.mjs');

function installedVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(requireHere.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** The bundle's first line names what it was built from. */
function bundleHeader(): string | null {
  const versions = PACKAGES.map((name) => [name, installedVersion(name)] as const);
  if (versions.some(([, v]) => v === null)) return null;
  return `// wgcam bench peer bundle: ${versions.map(([n, v]) => `${n} ${v}`).join(', ')}`;
}

/** Build the bundle unless an up-to-date one is there; returns its path. */
export async function tfjsBundle(log: (line: string) => void = () => {}): Promise<string> {
  const header = bundleHeader();
  const existing = existsSync(TFJS_BUNDLE) ? readFileSync(TFJS_BUNDLE, 'utf8').split('\n', 1)[0] : null;
  if (header === null) {
    if (existing !== null) return TFJS_BUNDLE;
    const missing = PACKAGES.filter((n) => installedVersion(n) === null).join(', ');
    throw new Error(`the dev dependencies ${missing} are not installed (npm ci installs them)`);
  }
  if (existing === header) return TFJS_BUNDLE;
  log('peer tfjs: bundling @tensorflow/tfjs-core, its gradients and the WebGPU backend (esbuild, once)');
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const built = await esbuild.build({
    stdin: {
      contents: [
        "export * from '@tensorflow/tfjs-core';",
        "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
        "import '@tensorflow/tfjs-backend-webgpu';",
        "export { version as version_webgpu } from '@tensorflow/tfjs-backend-webgpu/dist/version';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Core's ES modules everywhere: its `main` is a CommonJS build, a second engine beside the gradients' one.
    mainFields: ['module', 'main'],
    // Core's Node platform calls require('util') and require('node-fetch') (never reached here).
    banner: { js: `${header}\nimport { createRequire as __wgcamCreateRequire } from 'node:module';\nconst require = __wgcamCreateRequire(import.meta.url);` },
    external: ['node-fetch'],
    write: false,
    logLevel: 'silent',
  });
  mkdirSync(dirname(TFJS_BUNDLE), { recursive: true });
  const partial = `${TFJS_BUNDLE}.${process.pid}.partial`;
  writeFileSync(partial, built.outputFiles[0]!.contents);
  renameSync(partial, TFJS_BUNDLE);
  return TFJS_BUNDLE;
}

/** Run `step` with `globalThis.navigator` standing for `{ gpu }`, then put back what was there. */
async function withNavigatorGpu<R>(gpu: GPU, step: () => Promise<R>): Promise<R> {
  const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    return await step();
  } finally {
    if (before) Object.defineProperty(globalThis, 'navigator', before);
    else delete (globalThis as { navigator?: unknown }).navigator;
  }
}

/** tfjs on its WebGPU backend, set and ready, on Dawn's adapter. */
export async function loadTfNode(log: (line: string) => void): Promise<Tf> {
  const bundle = await tfjsBundle(log);
  return withNavigatorGpu(nodeGpu(), async () => {
    const tf = (await import(pathToFileURL(bundle).href)) as Tf;
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed on Dawn');
    await tf.ready();
    return tf;
  });
}
