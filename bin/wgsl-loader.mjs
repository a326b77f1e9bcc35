// Node module hook: `import src from './x.wgsl?raw'` yields the file's text, as Vite's `?raw` does in the browser,
// so kernel wrappers import their WGSL the same way on both surfaces.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && /\.wgsl\?raw$/.test(url)) {
    const text = await readFile(new URL(url.replace(/\?raw$/, '')), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
