// One end-to-end row per CAM method: Wgcam.explain with that method alone at one layer, on the bench input with
// its picture (so each row includes its overlay), target 'top', everything read back. The gradient and eigen
// methods take one forward and one backward; fullgrad a backward to all 53 batchnorms and the input; scorecam
// and ablationcam one forward per channel of the layer, so `--methods-layer` picks a layer with fewer channels
// where their full run would take too long.
import type { GpuContext } from '../src/gpu/context.ts';
import { resolveCamMethods } from '../src/cam/method.ts';
import { Wgcam } from '../src/session.ts';
import type { WeightMap } from '../src/model/resnet50.ts';
import { benchInput, benchPictures } from './core.ts';

export interface MethodsBench {
  layer: string;
  size: number;
  /** Per method: median wall-clock ms of `runs` calls after one untimed call, and every run. */
  methods: Record<string, { ms: number; runs_ms: number[]; warmup_ms: number }>;
  what: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchMethods(
  ctx: GpuContext,
  weights: WeightMap,
  options: { names: readonly string[]; layer: string; size: number; runs: number },
  log: (line: string) => void,
): Promise<MethodsBench> {
  const methods = resolveCamMethods(options.names).map((m) => m.name);
  const session = Wgcam.fromContext(ctx, weights, undefined, { tuning: false }); // the suite chose the tiles already
  const one = benchInput(1, options.size);
  const input = ctx.upload(one.data, one.shape, 'f32', 'methods bench input');
  const pictures = benchPictures(1, options.size);
  const out: MethodsBench = {
    layer: options.layer,
    size: options.size,
    methods: {},
    what: `Wgcam.explain with one method at ${options.layer}, ${options.size}x${options.size}, target 'top', map and overlay read back`,
  };
  try {
    for (const method of methods) {
      const call = () => session.explain(input, { methods: [method], layers: [options.layer], targets: 'top', pictures });
      const t0 = performance.now();
      await call();
      const warmup = performance.now() - t0;
      const runs: number[] = [];
      for (let r = 0; r < options.runs; r++) {
        const t1 = performance.now();
        await call();
        runs.push(performance.now() - t1);
      }
      out.methods[method] = { ms: median(runs), runs_ms: runs, warmup_ms: warmup };
      log(`method ${method} at ${options.layer}: median ${median(runs).toFixed(0)} ms of ${runs.length} (warm-up ${warmup.toFixed(0)} ms)`);
    }
  } finally {
    input.release();
    session.model.destroy();
  }
  return out;
}
