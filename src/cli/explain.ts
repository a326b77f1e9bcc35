// `wgcam cam` through Wgcam.explain: the CAM method family's flags, and its results named as the fixtures name
// them (test/fixtures/README.md): method.<M>.map (method.<M>.aug_smooth.map with --aug-smooth),
// method.<M>.overlay, metric.<M>.cam_mult_change, guided_backprop, guided_backprop.u8, guided_gradcam.u8.
import type { ExplainResult } from '../cam/explain.ts';
import { checkCamMetrics } from '../cam/metrics.ts';
import type { FlagSpec, ParsedFlags } from './args.ts';
import type { DumpEntry } from './shared.ts';

export const EXPLAIN_FLAGS: Record<string, FlagSpec> = {
  'aug-smooth': { kind: 'boolean', help: "aug_smooth: each map is the mean over ttach's flip x {0.9, 1, 1.1} augmentations" },
  guided: { kind: 'boolean', help: "also guided backprop and Guided Grad-CAM (with the first method's map)" },
  metric: { kind: 'string', value: 'NAME', help: 'cam-mult: the change of the target logit when the input is multiplied by the map' },
};

/** The explain options the flags above ask for (checked: an unknown metric is a coded error). */
export function explainFlagOptions(flags: ParsedFlags): { augSmooth: boolean; guided: boolean; metrics: string[] } {
  const metrics = flags.metric === undefined ? [] : String(flags.metric).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  checkCamMetrics(metrics);
  return { augSmooth: flags['aug-smooth'] === true, guided: flags.guided === true, metrics };
}

/** Whether the flags need Wgcam.explain rather than the Grad-CAM-with-intermediates path. */
export function wantsExplain(flags: ParsedFlags): boolean {
  return flags['aug-smooth'] === true || flags.guided === true || flags.metric !== undefined;
}

/** The dump entries of an explanation: [N, H] and [N, W] are the input's size. */
export function explainDumpEntries(result: ExplainResult, options: { augSmooth: boolean }, [n, h, w]: readonly [number, number, number]): DumpEntry[] {
  const entries: DumpEntry[] = [['logits', result.logits]];
  const smoothing = options.augSmooth ? '.aug_smooth' : '';
  for (const [name, r] of result.methods) {
    entries.push([`method.${name}${smoothing}.map`, r.map]);
    if (r.overlay) entries.push([`method.${name}.overlay`, { shape: [n, h, w, 3], data: r.overlay }]);
    for (const [metric, t] of r.metrics ?? []) entries.push([`metric.${name}.${metric}`, t]);
  }
  if (result.guided) {
    entries.push(['guided_backprop', result.guided.gradient]);
    entries.push(['guided_backprop.u8', { shape: [n, h, w, 3], data: result.guided.backprop }]);
    entries.push(['guided_gradcam.u8', { shape: [n, h, w, 3], data: result.guided.gradcam }]);
  }
  return entries;
}
