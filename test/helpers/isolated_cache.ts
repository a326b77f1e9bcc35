// Vitest global setup: the whole run, and every `wgcam` process its tests start, keep tuning choices and
// downloads in one fresh folder instead of the user's cache. Choices measured while tests load the machine
// would otherwise stay there for the user's own runs (this project's machine once had lavapipe's GEMM tiles on
// a vec4 core there, which the README's first command then used). A WGCAM_CACHE set by the caller is respected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  if (process.env.WGCAM_CACHE) return () => {};
  const cache = mkdtempSync(join(tmpdir(), 'wgcam-test-cache-'));
  process.env.WGCAM_CACHE = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
