// Per-context choices between the direct conv kernels (conv2d_direct.ts, conv2d_backward_input_direct.ts,
// conv2d_backward_weight_direct.ts) and the GEMM forms (im2col + GEMM for the forward and the weight gradient, a
// columns GEMM + col2im for the input gradient), for the convs that both can compute on the direct core. The two
// CPU adapters disagree on some of them (layer2's strided 3x3 forward: direct 1.2x faster in Chromium's
// SwiftShader, 1.1x slower on lavapipe; bench/README.md's runs), so conv_form_autotune.ts measures them on the
// adapter at hand and records the winners here. Kernels read them when they dispatch; a conv without a recorded
// choice takes its wrapper's default rule.

/** The passes whose form is chosen. */
export const CONV_PASSES = ['forward', 'inputGrad', 'weightGrad'] as const;
export type ConvPass = (typeof CONV_PASSES)[number];

/** What decides a form: the conv's kernel, stride, padding and channels (not the batch or the image size). */
export interface ConvFormShape {
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  stride: number;
  pad: number;
}

/** `forward 3x3/2 pad 1 128->128`: the key of a choice, in the tuning store and in reports. */
export function convFormKey(pass: ConvPass, s: ConvFormShape): string {
  return `${pass} ${s.kH}x${s.kW}/${s.stride} pad ${s.pad} ${s.inC}->${s.outC}`;
}

const directChoices = new WeakMap<object, Map<string, boolean>>();

/** Record whether `ctx` computes this pass of this conv with the direct kernel. */
export function setDirectForm(ctx: object, pass: ConvPass, shape: ConvFormShape, direct: boolean): void {
  let choices = directChoices.get(ctx);
  if (!choices) directChoices.set(ctx, (choices = new Map()));
  choices.set(convFormKey(pass, shape), direct);
}

/**
 * Forget the recorded choices of `ctx` for `passes` (default: every pass): those convs take their wrappers'
 * default rules again.
 */
export function clearConvForms(ctx: object, passes?: readonly ConvPass[]): void {
  const choices = directChoices.get(ctx);
  if (!choices || passes === undefined) {
    directChoices.delete(ctx);
    return;
  }
  for (const key of [...choices.keys()]) if (passes.some((pass) => key.startsWith(`${pass} `))) choices.delete(key);
}

/** The recorded choice (true: direct), or undefined when none was recorded for this pass and conv. */
export function chosenDirectForm(ctx: object, pass: ConvPass, shape: ConvFormShape): boolean | undefined {
  return directChoices.get(ctx)?.get(convFormKey(pass, shape));
}
