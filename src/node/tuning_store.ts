// The GEMM autotuner's memory in Node: one small JSON file in wgcam's cache folder, keyed by adapter.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './output_paths.ts';
import type { TuningStore } from '../kernels/gemm/tuner.ts';
import { defaultCacheDir } from './weights_node.ts';

/** Where the CLI keeps the tuners' choices: `tuning.json` in wgcam's cache folder. */
export function defaultTuningPath(): string {
  return join(defaultCacheDir(), 'tuning.json');
}

export function fileTuningStore(path: string = defaultTuningPath()): TuningStore {
  const readAll = async (): Promise<Record<string, string>> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
    } catch {
      return {}; // missing or damaged: measure again, and the next write replaces it
    }
  };
  return {
    async get(key) {
      const value = (await readAll())[key];
      return typeof value === 'string' ? value : undefined;
    },
    async set(key, value) {
      const all = { ...(await readAll()), [key]: value };
      // Written aside and renamed, so a concurrent reader never sees half a file.
      await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(all, null, 2)}\n`), { what: 'the tuning cache' });
    },
  };
}
