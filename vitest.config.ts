import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tuning choices and downloads go to a fresh folder, never the user's cache.
    globalSetup: ['test/helpers/isolated_cache.ts'],
    // Software WebGPU adapters are slow and share two cores: run files one at a time.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
