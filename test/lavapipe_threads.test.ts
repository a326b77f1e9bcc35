// lavapipe's thread count (src/node/lavapipe_threads.ts): two per core, capped at Mesa's limit, a value the
// user set kept, and, on a lavapipe adapter, really the number of compute threads the driver started.
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createNodeGpuContext, runtimeNotes } from '../src/node/gpu.ts';
import { lavapipeThreads, oversubscribeLavapipe } from '../src/node/software/lavapipe_threads.ts';

describe('lavapipe threads', () => {
  test('two per core, at most Mesa’s 32', () => {
    expect([1, 2, 3, 16, 17, 64].map(lavapipeThreads)).toEqual([2, 4, 6, 32, 32, 32]);
    expect(lavapipeThreads(0)).toBe(1);
  });

  test('LP_NUM_THREADS is set when absent or empty, and kept when the user set it', () => {
    const unset: Record<string, string | undefined> = {};
    expect(oversubscribeLavapipe(unset, 2)).toEqual({ threads: '4', source: 'wgcam' });
    expect(unset.LP_NUM_THREADS).toBe('4');
    const empty: Record<string, string | undefined> = { LP_NUM_THREADS: '' };
    expect(oversubscribeLavapipe(empty, 3)).toEqual({ threads: '6', source: 'wgcam' });
    const chosen: Record<string, string | undefined> = { LP_NUM_THREADS: '1' };
    expect(oversubscribeLavapipe(chosen, 8)).toEqual({ threads: '1', source: 'LP_NUM_THREADS' });
    expect(chosen.LP_NUM_THREADS).toBe('1');
  });

  test('on lavapipe the driver starts the threads the setting names, and info says so', async () => {
    const ctx = await createNodeGpuContext();
    try {
      const notes = runtimeNotes(ctx);
      if (!/llvmpipe|lavapipe/i.test(ctx.adapter.description)) {
        expect(notes).toEqual([expect.stringMatching(/^Dawn waits: /), expect.stringMatching(/^Dawn toggles: /)]);
        return;
      }
      const threads = Number(process.env.LP_NUM_THREADS);
      expect(threads).toBeGreaterThan(0);
      expect(notes).toEqual([expect.stringMatching(/^Dawn waits: /), expect.stringMatching(/^Dawn toggles: /), expect.stringMatching(new RegExp(`^lavapipe threads: ${threads} `))]);
      // Mesa starts a pool of that many compute threads (and as many for rasterising) beside Node's own.
      expect(readdirSync('/proc/self/task').length).toBeGreaterThanOrEqual(2 * threads);
    } finally {
      ctx.destroy();
    }
  });
});
