// The suite's own summary line (scripts/test.sh) must count a file that fails to import or whose beforeAll
// throws as failed, and must not read a stale report: scripts/check-test-summary.sh runs test.sh on
// deliberately broken tests in a temporary copy of the project and checks the line and the exit status.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('scripts/test.sh counts broken files as failed, names skips, and never reads a stale report', () => {
  const script = fileURLToPath(new URL('../scripts/check-test-summary.sh', import.meta.url));
  // The nested runs must not inherit this run's cache folder or vitest's worker variables.
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('VITEST') || k === 'WGCAM_CACHE') delete env[k];
  const r = spawnSync('bash', [script], { encoding: 'utf8', env, timeout: 300_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/broken files: tests: 1 passed, [2-9]\d* failed/);
});
