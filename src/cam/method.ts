// The one seam of the CAM method family, as pytorch-grad-cam's BaseCAM has one.
//
// A method is only its combination step: what turns one target layer's activations A [N, C, h, w] (and, when it
// needs them, the gradients G of the target scores with respect to A) into a raw map [N, h, w]: BaseCAM's
// get_cam_weights / get_cam_image. Everything else is shared and lives in src/cam/explain.ts: the forward pass
// with the tape, the targets (each image's top class or explicit ones), one backward for every method of the
// call, then base_cam.py's post-processing (relu, per-image min-max scaling, OpenCV-style resize to the input,
// aggregate_multi_layers over the target layers), the overlays and one read-back.
//
// Writing a method (one small file under src/cam/methods/, plus one line in CAM_METHODS below):
//   - a gradient method sets `needsGradient: true` and implements `layerCam(run, layer)`, returning the raw map
//     [N, h, w] on the GPU (relu not needed: the shared step applies it). `combineChannels` (below) gives the
//     channel sum, or the first principal component when the call asks for eigen_smooth.
//   - a method that needs more than A and G (scorecam's masked forwards, ablationcam's re-run of the network's
//     tail) still implements `layerCam`, and reads what it needs from `run`: the model, the input, the targets,
//     the batch size, and `run.progress` to report its forwards. `layerCam` may be async.
//   - a method that ignores the target layers (fullgrad: every batchnorm, plus the input gradient) implements
//     `finalMap(run)` instead and returns the final map [N, H, W] in [0, 1]; `request` asks the shared forward
//     and backward for the module outputs and gradients it reads (they arrive in `run.captured` and
//     `run.grads`).
// Tensors a method returns are released by the caller; tensors in `run` belong to the caller.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { BackwardResult } from '../model/tape.ts';
import type { ResNet50 } from '../model/resnet50.ts';
import { WgcamError } from '../errors.ts';
import { ablationcam } from './methods/ablationcam.ts';
import { eigencam } from './methods/eigencam.ts';
import { eigengradcam } from './methods/eigengradcam.ts';
import { gradcam } from './methods/gradcam.ts';
import { fullgrad } from './methods/fullgrad.ts';
import { gradcamElementwise } from './methods/gradcam_elementwise.ts';
import { gradcamPlusPlus } from './methods/gradcam_plusplus.ts';
import { hirescam } from './methods/hirescam.ts';
import { layercam } from './methods/layercam.ts';
import { scorecam } from './methods/scorecam.ts';
import { xgradcam } from './methods/xgradcam.ts';

/** One target layer as a method sees it. */
export interface CamLayerInput {
  /** The module path (`layer4`, `layer3.5`, ...). */
  layer: string;
  /** [N, C, h, w]: the layer's output. */
  act: Tensor;
  /** [N, C, h, w]: the gradient of the sum of the target scores with respect to `act`; null when no method of the call needs gradients. */
  grad: Tensor | null;
}

/** Progress of a method that runs many forwards (scorecam, ablationcam). */
export interface CamProgress {
  method: string;
  done: number;
  total: number;
}

/** Everything one explanation shares between its methods (owned by src/cam/explain.ts; methods only read it). */
export interface CamRun {
  ctx: GpuContext;
  model: ResNet50;
  /** [N, 3, H, W], normalised. */
  input: Tensor;
  /** [N, 1000]: the logits of the plain forward. */
  logits: Tensor;
  /** One class per image. */
  targets: readonly number[];
  /** [H, W]: the input size, which every final map has. */
  outSize: readonly [number, number];
  /** The target layers, in the caller's order (duplicates removed). */
  layers: readonly string[];
  /** pytorch-grad-cam's eigen_smooth: the first principal component in place of the channel sum. */
  eigenSmooth: boolean;
  /** Masked or ablated inputs per forward, for methods that run many (pytorch-grad-cam's batch_size); null: the method's default. */
  batchSize: number | null;
  /** Module outputs of the forward: the target layers and every path a method's `request` named. */
  captured: ReadonlyMap<string, Tensor>;
  /** The backward of the target scores' sum (null when no method of the call needs gradients). */
  grads: BackwardResult | null;
  /** Report progress (called by methods that run many forwards). */
  progress(p: CamProgress): void;
}

/** What a method asks of the shared forward and backward beyond the target layers. */
export interface CamRequest {
  /** Module outputs to capture (and differentiate, when `needsGradient`). */
  paths?: readonly string[];
  /** The gradient with respect to the network input. */
  input?: boolean;
}

export interface CamMethod {
  /** The name used by the CLI (`--method`), the library and the dumps (`method.<name>.map`). */
  readonly name: string;
  /** Whether the backward runs for this method (G in `layerCam`, `run.grads` in `finalMap`). */
  readonly needsGradient: boolean;
  /** Module outputs and gradients the method reads besides the target layers (fullgrad's batchnorms). */
  request?(layers: readonly string[]): CamRequest;
  /** get_cam_image for one target layer: the raw map [N, h, w] (relu, scaling and resizing are shared). */
  layerCam?(run: CamRun, layer: CamLayerInput): Tensor | Promise<Tensor>;
  /** For methods that ignore the target layers: the final map [N, H, W] in [0, 1]. */
  finalMap?(run: CamRun): Tensor | Promise<Tensor>;
}

/** Every method by its name. To add one: write src/cam/methods/<name>.ts and add one line here. */
export const CAM_METHODS: ReadonlyMap<string, CamMethod> = new Map(
  [
    gradcam,
    hirescam,
    gradcamElementwise,
    gradcamPlusPlus,
    xgradcam,
    layercam,
    eigencam,
    eigengradcam,
    scorecam,
    ablationcam,
    fullgrad,
  ].map((m) => [m.name, m]),
);

/** The registered names, in registry order (what `--method all` runs). */
export function camMethodNames(): string[] {
  return [...CAM_METHODS.keys()];
}

/** Look up methods by name (`all` = every registered one); an unknown name is one coded error. */
export function resolveCamMethods(names: readonly string[]): CamMethod[] {
  const wanted = names.length === 0 ? ['gradcam'] : names.flatMap((n) => (n === 'all' ? camMethodNames() : [n]));
  const out: CamMethod[] = [];
  for (const name of wanted) {
    const m = CAM_METHODS.get(name);
    if (!m) throw new WgcamError('UNKNOWN_METHOD', `unknown CAM method "${name}": use one of ${camMethodNames().join(', ')}, or all`);
    if (!out.includes(m)) out.push(m);
  }
  return out;
}
