// The former conv form tuner, kept as the tool that derives the adapter classes' window rules
// (src/kernels/config.ts: KERNEL_PRIORS, `windows`): for each windowed conv of ResNet50 and for the forward and
// the input gradient, times its window kernel against its GEMM form on the untiled core, both alternated, and
// keeps the prior's form unless the other wins clearly in two sets of runs. On the tiled core there is nothing
// to choose. Each form's first run is checked against the other's.
// Its choices on both CPU adapters were the 'dense' rule's (bench/NOTES.md, "Software-adapter variants").
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { relativeL2 } from '../../src/metrics.ts';
import type { WindowedConv } from '../../src/model/architecture.ts';
import { configureKernels } from '../../src/kernels/config.ts';
import { conv2d, convOutputSize } from '../../src/kernels/conv/conv2d.ts';
import { conv2dBackwardInput } from '../../src/kernels/conv/conv2d_backward_input.ts';
import { planConv, type ConvPass } from '../../src/kernels/conv/plan.ts';
import { windowInputGradFits } from '../../src/kernels/software/conv2d_backward_input_window.ts';
import { windowForwardFits } from '../../src/kernels/software/conv2d_window.ts';
import { adapterTuningKey, tuningRandom, type TuningStore } from '../../src/kernels/gemm/tuner.ts';
import { fastestRun, formatRunMs } from '../../src/kernels/run_timing.ts';

const CONV_PASSES = ['forward', 'inputGrad'] as const;
type FormPass = (typeof CONV_PASSES)[number];

/** What decides a form: the conv's kernel, stride, padding and channels (not the batch or the image size). */
interface ConvFormShape {
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  stride: number;
  pad: number;
}

/** `forward 3x3/2 pad 1 128->128`: the key of a choice in reports. */
export function convFormKey(pass: ConvPass, s: ConvFormShape): string {
  return `${pass} ${s.kH}x${s.kW}/${s.stride} pad ${s.pad} ${s.inC}->${s.outC}`;
}

/** This pass of every conv on `ctx` as its window kernel ('all') or its GEMM form ('none'): only one conv runs at a time here. */
function setDirectForm(ctx: GpuContext, pass: FormPass, _shape: ConvFormShape, direct: boolean): void {
  configureKernels(ctx, { windows: { [pass]: direct ? 'all' : 'none' } });
}

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
  passes?: readonly FormPass[];
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
  pass: FormPass;
  shape: ConvFormShape;
  conv: WindowedConv;
  /** The form the wrapper takes without a recorded choice. */
  defaultForm: ConvFormName;
}

/** Every (pass, conv) of `convs` that both forms can compute on `ctx`'s GEMM core, with the prior's form. */
function candidates(ctx: GpuContext, convs: readonly WindowedConv[]): Candidate[] {
  if (ctx.kernels.tiles.core !== 'untiled') return [];
  const list: Candidate[] = [];
  for (const conv of convs) {
    const { inChannels: inC, outChannels: outC, kernel: k, stride, pad } = conv;
    const shape = { inC, outC, kH: k, kW: k, stride, pad };
    const geometry = { batch: 1, inC, outC, inH: conv.inSize, inW: conv.inSize, kH: k, kW: k, stride, pad };
    const prior = (pass: FormPass): ConvFormName => (planConv(ctx.kernels, geometry, pass).form === 'window' ? 'direct' : 'gemm');
    if (windowForwardFits(shape)) list.push({ key: convFormKey('forward', shape), pass: 'forward', shape, conv, defaultForm: prior('forward') });
    if (windowInputGradFits(shape)) list.push({ key: convFormKey('inputGrad', shape), pass: 'inputGrad', shape, conv, defaultForm: prior('inputGrad') });
  }
  return list;
}

/**
 * The form of each windowed conv in `convs` (e.g. `windowedConvs()` of the model) on `ctx`: from the store, by
 * timing both forms on a one-image input, or as forced. Reported only: `ctx` keeps its window rules.
 */
export async function autotuneConvForms(
  ctx: GpuContext,
  convs: readonly WindowedConv[],
  options: ConvFormTuneOptions = {},
): Promise<ConvFormTuning> {
  const passes = options.passes ?? CONV_PASSES;
  const priorWindows = ctx.kernels.windows;
  const list = candidates(ctx, convs).filter((c) => passes.includes(c.pass));
  try {
    return await chooseForms(ctx, list, options);
  } finally {
    configureKernels(ctx, { windows: priorWindows });
  }
}

async function chooseForms(ctx: GpuContext, list: Candidate[], options: ConvFormTuneOptions): Promise<ConvFormTuning> {
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
  const first = upload(wShape, 'conv form tuning operand');
  const second = upload(c.pass === 'inputGrad' ? [1, outC, outSize, outSize] : xShape, 'conv form tuning operand');
  const passes: Record<FormPass, () => Tensor> = {
    forward: () => conv2d(ctx, second, first, geom),
    inputGrad: () => conv2dBackwardInput(ctx, second, first, xShape, geom),
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
