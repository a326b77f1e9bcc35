// The flags of `wgcam cam` for guided backprop, aug_smooth and the metrics, and the dump entries they add to
// src/cli/cam_methods.ts's (named as the fixtures name them, test/fixtures/README.md): metric.<M>.cam_mult_change,
// guided_backprop, guided_backprop.u8, guided_gradcam.u8; aug_smooth maps are method.<M>.aug_smooth.map.
import type { ExplainResult } from '../cam/explain.ts';
import { checkCamMetrics } from '../cam/metrics.ts';
import type { FlagSpec, ParsedFlags } from './args.ts';
import type { DumpEntry } from './shared.ts';

export const EXPLAIN_FLAGS: Record<string, FlagSpec> = {
  'aug-smooth': { kind: 'boolean', help: "aug_smooth: each map is the mean over ttach's flip x {0.9, 1, 1.1} augmentations" },
  guided: { kind: 'boolean', help: "also guided backprop and Guided Grad-CAM (with the first method's map)" },
  metric: { kind: 'string', value: 'NAME', help: 'cam-mult: the change of the target logit when the input is multiplied by the map' },
};

export interface ExplainFlagOptions {
  augSmooth: boolean;
  guided: boolean;
  metrics: string[];
}

/** The explain options the flags above ask for (checked: an unknown metric is a coded error). */
export function explainFlagOptions(flags: ParsedFlags): ExplainFlagOptions {
  const metrics = flags.metric === undefined ? [] : String(flags.metric).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  checkCamMetrics(metrics);
  return { augSmooth: flags['aug-smooth'] === true, guided: flags.guided === true, metrics };
}

/** Whether any of the flags above is given (plain Grad-CAM with its intermediates has none of them). */
export function wantsExplain(options: ExplainFlagOptions): boolean {
  return options.augSmooth || options.guided || options.metrics.length > 0;
}

/** The metrics and the guided pictures of an explanation as dump entries; [n, h, w]: the input's batch and size. */
export function explainExtraEntries(result: ExplainResult, [n, h, w]: readonly [number, number, number]): DumpEntry[] {
  const entries: DumpEntry[] = [];
  for (const [name, r] of result.methods) {
    for (const [metric, t] of r.metrics ?? []) entries.push([`metric.${name}.${metric}`, t]);
  }
  if (result.guided) {
    entries.push(['guided_backprop', result.guided.gradient]);
    entries.push(['guided_backprop.u8', { shape: [n, h, w, 3], data: result.guided.backprop }]);
    entries.push(['guided_gradcam.u8', { shape: [n, h, w, 3], data: result.guided.gradcam }]);
  }
  return entries;
}

/** One line per method and metric, e.g. `gradcam cam_mult_change: -4.6034, -5.0006`. */
export function printMetrics(result: ExplainResult): void {
  for (const [name, r] of result.methods) {
    for (const [metric, t] of r.metrics ?? []) process.stdout.write(`${name} ${metric}: ${Array.from(t.data, (v) => v.toFixed(4)).join(', ')}\n`);
  }
}
