// Node module hook for bench/gpu/wgcam_device.mjs: the project's `.ts` files as ES modules, their types
// stripped by rolldown's transform (oxc), which also lowers what types alone do not cover (parameter properties,
// enums). Files under node_modules are left to Node.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'rolldown/experimental';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && /\.m?ts$/.test(url) && !url.includes('/node_modules/')) {
    const path = fileURLToPath(url);
    const { code, errors } = transformSync(path, await readFile(path, 'utf8'), { sourcemap: false });
    if (errors.length > 0) throw new Error(`${path}: ${errors.map((e) => e.message).join('; ')}`);
    return { format: 'module', source: code, shortCircuit: true };
  }
  return nextLoad(url, context);
}
