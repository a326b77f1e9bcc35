// Chooses, per adapter and per windowed conv, between the direct conv kernels and the GEMM forms (conv_forms.ts),
// for each of its three passes. Only adapters whose GEMMs run on the direct core (the CPU adapters, and an H200
// under Dawn, whose GEMM tuner chose it too) have a choice to make: on the tiled cores the direct kernels never
// run, so there this changes nothing. The two CPU
// adapters disagree per shape (the strided 3x3s' forwards, layer2's 3x3 input gradient, the stride-1 3x3s'
// weight gradients; bench/README.md, bench/NOTES.md), so each conv that both forms can compute is timed on the
// adapter at hand, both forms alternated, and the winners are remembered per adapter, as the GEMM tiles are
// (gemm_autotune.ts).
//
// Each form's first run is checked against the other's: a direct kernel that miscompiles on some driver is
// never chosen.
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { relativeL2 } from '../../metrics.ts';
import type { WindowedConv } from '../../model/architecture.ts';
import { conv2d, convOutputSize } from '../conv/conv2d.ts';
import { conv2dBackwardInput } from '../conv/conv2d_backward_input.ts';
import { directInputGradFits, usesDirectInputGrad } from './conv2d_backward_input_window.ts';
import { conv2dBackwardWeight } from '../conv/conv2d_backward_weight.ts';
import { directWeightGradFits } from './conv2d_backward_weight_per_tap.ts';
import { directConvFits, usesDirectConv } from './conv2d_window.ts';
import { CONV_PASSES, clearConvForms, convFormKey, setDirectForm, type ConvFormShape, type ConvPass } from './conv_forms.ts';
import { adapterTuningKey, tuningRandom, type TuningStore } from '../gemm/tuner.ts';
import { DEFAULT_TILES, getPreferredTiles } from '../gemm/tiles.ts';
import { fastestRun, formatRunMs } from '../run_timing.ts';

/** The direct kernel, or the GEMM form it replaces (im2col + GEMM forward; columns GEMM + col2im input gradient). */
export type ConvFormName = 'direct' | 'gemm';

export interface ConvFormTuning {
  /**
   * 'not needed': the adapter's GEMMs are not on the direct core, so no conv has a choice; 'defaults': each
   * conv takes its wrapper's rule; 'forced': every choice set to one form.
   */
  source: 'measured' | 'cached' | 'defaults' | 'forced' | 'not needed';
  /** Per pass and conv (convFormKey), the form it takes. */
  choices: Record<string, ConvFormName>;
  /** Per choice measured now: milliseconds of each form's fastest run in the set of runs that decided. */
  timings: Record<string, Record<ConvFormName, number>>;
  /** Choices measured now whose direct form disagreed with the GEMM form, so the GEMM form was kept untimed. */
  rejected?: string[];
}

/**
 * The settings that choose the conv forms (`WGCAM_CONV_FORMS`, `wgcam bench --conv-forms`): measured per
 * adapter ('auto'), each kernel's default rule, or one form for every conv it fits.
 */
export const CONV_FORM_SETTINGS = ['auto', 'defaults', 'direct', 'gemm'] as const;
export type ConvFormSetting = (typeof CONV_FORM_SETTINGS)[number];

export function isConvFormSetting(value: unknown): value is ConvFormSetting {
  return (CONV_FORM_SETTINGS as readonly unknown[]).includes(value);
}

export interface ConvFormTuneOptions {
  store?: TuningStore;
  /**
   * Instead of measuring: 'defaults' (each wrapper's rule: the forward and the input gradient direct at stride 1
   * and for the stem, every weight gradient through im2col and the GEMM), or one form for every conv it fits (for
   * comparing them: `wgcam bench --conv-forms`).
   */
  force?: Exclude<ConvFormSetting, 'auto'>;
  /**
   * Timed runs per form, alternated (default 2; the fastest counts). Where the other form beats the default by
   * the margin, a second set of as many decides.
   */
  runs?: number;
  /** Called before each conv is measured (not when the store had every choice): for a progress display. */
  onProgress?: (measured: number, toMeasure: number) => void;
  /**
   * The passes whose forms are chosen (default: all three); the recorded choices of the others stay. A session
   * chooses the weight gradients' only when a job first asks for parameter gradients (Grad-CAM does not).
   */
  passes?: readonly ConvPass[];
}

/** Bump when a form's kernels, the choosing rule or the clock (run_timing.ts) change, so old choices are not reused. */
const TUNING_VERSION = 'conv-forms-v6';
/**
 * The other form replaces a conv's default only when it takes less than this fraction of the default's time.
 * One run of a conv on a CPU adapter that shares its cores moves by 10-20%, and with 0.97 lavapipe's tuned
 * choices ran the network no faster than the defaults (bench/NOTES.md): smaller wins are noise, and the
 * defaults come from longer alternated measurements.
 */
const CLEAR_WIN = 0.9;

export function convFormTuningKey(ctx: GpuContext): string {
  return adapterTuningKey(TUNING_VERSION, ctx);
}

/**
 * `4 direct, 3 gemm (measured)` and, when measured, each choice with its times, joined by `separator`: for logs
 * and reports.
 */
export function describeConvFormTuning(t: ConvFormTuning, separator = '; '): string {
  const forms = Object.values(t.choices);
  const count = (f: ConvFormName) => forms.filter((x) => x === f).length;
  const head = forms.length === 0 ? `none (${t.source})` : `${count('direct')} direct, ${count('gemm')} gemm (${t.source})`;
  const times = Object.entries(t.timings).map(
    ([key, ms]) => `${key}: ${t.choices[key]} (direct ${formatRunMs(ms.direct)}, gemm ${formatRunMs(ms.gemm)})`,
  );
  const rejected = (t.rejected ?? []).map((key) => `${key}: gemm (the direct form's result differed: not used)`);
  return [head, ...times, ...rejected].join(separator);
}

interface Candidate {
  key: string;
  pass: ConvPass;
  shape: ConvFormShape;
  conv: WindowedConv;
  /** The form the wrapper takes without a recorded choice. */
  defaultForm: ConvFormName;
}

/** Every (pass, conv) of `convs` that both forms can compute on `ctx`'s GEMM core. */
function candidates(ctx: GpuContext, convs: readonly WindowedConv[]): Candidate[] {
  const tiles = getPreferredTiles(ctx) ?? DEFAULT_TILES;
  const list: Candidate[] = [];
  for (const conv of convs) {
    const { inChannels: inC, outChannels: outC, kernel: k, stride, pad } = conv;
    const shape = { inC, outC, kH: k, kW: k, stride, pad };
    if (directConvFits(tiles, outC, k, k, stride, pad)) {
      const defaultForm = usesDirectConv(tiles, outC, k, k, stride, pad) ? 'direct' : 'gemm';
      list.push({ key: convFormKey('forward', shape), pass: 'forward', shape, conv, defaultForm });
    }
    if (directInputGradFits(tiles, inC, k, stride)) {
      const defaultForm = usesDirectInputGrad(tiles, inC, k, stride) ? 'direct' : 'gemm';
      list.push({ key: convFormKey('inputGrad', shape), pass: 'inputGrad', shape, conv, defaultForm });
    }
    if (directWeightGradFits(tiles, inC, outC, k, k, stride, pad)) {
      list.push({ key: convFormKey('weightGrad', shape), pass: 'weightGrad', shape, conv, defaultForm: 'gemm' });
    }
  }
  return list;
}

/**
 * Choose the form of each windowed conv in `convs` (e.g. `windowedConvs()` of the model) on `ctx`: from the
 * store, by timing both forms on a one-image input, or as forced. The choices apply to `ctx` at any batch and
 * image size, since they are keyed by kernel, stride, padding and channels.
 */
export async function autotuneConvForms(
  ctx: GpuContext,
  convs: readonly WindowedConv[],
  options: ConvFormTuneOptions = {},
): Promise<ConvFormTuning> {
  const passes = options.passes ?? CONV_PASSES;
  clearConvForms(ctx, passes);
  const list = candidates(ctx, convs).filter((c) => passes.includes(c.pass));
  if (list.length === 0) return { source: 'not needed', choices: {}, timings: {} };
  const { force } = options;
  if (force !== undefined) {
    const choices: Record<string, ConvFormName> = {};
    for (const c of list) {
      const form = force === 'defaults' ? c.defaultForm : force;
      if (force !== 'defaults') setDirectForm(ctx, c.pass, c.shape, form === 'direct');
      choices[c.key] = form;
    }
    return { source: force === 'defaults' ? 'defaults' : 'forced', choices, timings: {} };
  }

  const key = convFormTuningKey(ctx);
  const cached = parseChoices(await options.store?.get(key).catch(() => undefined));
  const choices: Record<string, ConvFormName> = {};
  const timings: Record<string, Record<ConvFormName, number>> = {};
  const rejected: string[] = [];
  const toMeasure = list.filter((c) => cached[c.key] === undefined).length;
  let measuredSoFar = 0;
  for (const c of list) {
    let form = cached[c.key];
    if (form === undefined) {
      options.onProgress?.(measuredSoFar++, toMeasure);
      form = await measure(ctx, c, options.runs ?? 2, timings, rejected);
    }
    choices[c.key] = form;
    setDirectForm(ctx, c.pass, c.shape, form === 'direct');
  }
  if (toMeasure > 0) options.onProgress?.(toMeasure, toMeasure);
  const measured = toMeasure > 0;
  if (measured) await options.store?.set(key, JSON.stringify({ ...cached, ...choices })).catch(() => undefined);
  return { source: measured ? 'measured' : 'cached', choices, timings, ...(rejected.length > 0 ? { rejected } : {}) };
}

/** Two tunings of one context for different passes, as one (for reports): every choice, the busier source. */
export function mergeConvFormTunings(a: ConvFormTuning, b: ConvFormTuning): ConvFormTuning {
  const order: ConvFormTuning['source'][] = ['measured', 'cached', 'forced', 'defaults', 'not needed'];
  const source = order.find((s) => a.source === s || b.source === s)!;
  const rejected = [...(a.rejected ?? []), ...(b.rejected ?? [])];
  return {
    source,
    choices: { ...a.choices, ...b.choices },
    timings: { ...a.timings, ...b.timings },
    ...(rejected.length > 0 ? { rejected } : {}),
  };
}

function parseChoices(text: string | undefined): Record<string, ConvFormName> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const valid = Object.entries(parsed).filter((e): e is [string, ConvFormName] => e[1] === 'direct' || e[1] === 'gemm');
    return Object.fromEntries(valid);
  } catch {
    return {}; // a damaged entry only costs a re-measure
  }
}

/**
 * The form a conv takes, given its default and a way to time both forms (each form's time in one set of runs):
 * the default, unless the other takes under CLEAR_WIN of its time in two sets in a row. A switch must show
 * twice because on shared cores one set can favour either form by chance; the set that decided is returned.
 */
export async function decideForm(
  defaultForm: ConvFormName,
  measureSet: () => Promise<Record<ConvFormName, number>>,
): Promise<{ form: ConvFormName; timings: Record<ConvFormName, number> }> {
  const other: ConvFormName = defaultForm === 'direct' ? 'gemm' : 'direct';
  const otherWins = (t: Record<ConvFormName, number>) => t[other] < CLEAR_WIN * t[defaultForm];
  let timings = await measureSet();
  if (otherWins(timings)) timings = await measureSet();
  return { form: otherWins(timings) ? other : defaultForm, timings };
}

/**
 * Time both forms of one candidate (alternated, after a checked first run each) and return the winner: the
 * default, unless the other form wins clearly in two sets of runs (decideForm).
 */
async function measure(
  ctx: GpuContext,
  c: Candidate,
  runs: number,
  timings: Record<string, Record<ConvFormName, number>>,
  rejected: string[],
): Promise<ConvFormName> {
  const { inC, outC, kH, kW, stride, pad } = c.shape;
  const size = c.conv.inSize;
  const outSize = convOutputSize(size, kH, stride, pad);
  const geom = { stride, pad };
  const random = tuningRandom(7919 + inC * 31 + outC * 7 + kH + stride);
  const upload = (shape: number[], label: string) =>
    ctx.upload(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, random), shape, 'f32', label);
  const wShape = [outC, inC, kH, kW];
  const xShape: [number, number, number, number] = [1, inC, size, size];
  // Each pass's two operands: the forward's weight and input, the input gradient's weight and dy, the weight
  // gradient's dy and input.
  const first = upload(c.pass === 'weightGrad' ? [1, outC, outSize, outSize] : wShape, 'conv form tuning operand');
  const second = upload(c.pass === 'inputGrad' ? [1, outC, outSize, outSize] : xShape, 'conv form tuning operand');
  const passes: Record<ConvPass, () => Tensor> = {
    forward: () => conv2d(ctx, second, first, geom),
    inputGrad: () => conv2dBackwardInput(ctx, second, first, xShape, geom),
    weightGrad: () => conv2dBackwardWeight(ctx, first, second, wShape, geom),
  };
  const run = (form: ConvFormName): Tensor => {
    setDirectForm(ctx, c.pass, c.shape, form === 'direct');
    return passes[c.pass]();
  };
  try {
    // The first runs compile the pipelines and are the ones checked, one form against the other.
    const outputs: Partial<Record<ConvFormName, Float32Array>> = {};
    for (const form of ['gemm', 'direct'] as const) {
      const y = run(form);
      outputs[form] = await ctx.read(y);
      y.release();
    }
    // The forwards and the weight gradients agree bit for bit by design (conv2d_direct.wgsl,
    // conv2d_backward_weight_direct.wgsl); the input gradients add in another order.
    // Written so that a NaN in either (a relative error of NaN) rejects the direct form too.
    if (!(relativeL2(outputs.direct!, outputs.gemm!) <= 1e-5)) {
      rejected.push(c.key);
      return 'gemm';
    }
    // Each form's fastest of `runs` alternated runs.
    const measureSet = async () => {
      const best: Record<ConvFormName, number> = { direct: Infinity, gemm: Infinity };
      for (let r = 0; r < runs; r++) {
        for (const form of ['gemm', 'direct'] as const) best[form] = Math.min(best[form], await fastestRun(ctx, 1, () => run(form)));
      }
      return best;
    };
    const decided = await decideForm(c.defaultForm, measureSet);
    timings[c.key] = decided.timings;
    return decided.form;
  } finally {
    first.release();
    second.release();
  }
}
