// Every tensor of torchvision's ResNet50 state dict (v1.5, the names timm's resnet50.tv_in1k uses too), and
// the check that a weights file holds all of them with the right shapes and finite values.
import { FEATURES, NUM_CLASSES, parameterLayers } from './architecture.ts';
import { formatShape, quoteName, toFloat32, weightsError, type RawTensor, type SafetensorsFile } from './safetensors.ts';

export type TensorKind =
  | 'conv_weight'
  | 'bn_weight'
  | 'bn_bias'
  | 'running_mean'
  | 'running_var'
  | 'num_batches_tracked'
  | 'fc_weight'
  | 'fc_bias';

export interface TensorSpec {
  name: string;
  /** [] for the int64 scalar num_batches_tracked. */
  shape: number[];
  kind: TensorKind;
  /** True for the batchnorms whose output feeds a residual sum (`*.bn3`, `*.downsample.1`). */
  residualBn?: boolean;
}

function buildSpec(): TensorSpec[] {
  const out: TensorSpec[] = [];
  const conv = (name: string, outC: number, inC: number, k: number) =>
    out.push({ name: `${name}.weight`, shape: [outC, inC, k, k], kind: 'conv_weight' });
  const bn = (name: string, c: number, residualBn = false) => {
    const extra = residualBn ? { residualBn } : {};
    out.push({ name: `${name}.weight`, shape: [c], kind: 'bn_weight', ...extra });
    out.push({ name: `${name}.bias`, shape: [c], kind: 'bn_bias', ...extra });
    out.push({ name: `${name}.running_mean`, shape: [c], kind: 'running_mean', ...extra });
    out.push({ name: `${name}.running_var`, shape: [c], kind: 'running_var', ...extra });
    out.push({ name: `${name}.num_batches_tracked`, shape: [], kind: 'num_batches_tracked', ...extra });
  };
  // Same order as torchvision's state_dict().
  for (const l of parameterLayers()) {
    if (l.kind === 'conv') conv(l.name, l.outChannels, l.inChannels, l.kernel);
    else bn(l.name, l.channels, l.residual);
  }
  out.push({ name: 'fc.weight', shape: [NUM_CLASSES, FEATURES], kind: 'fc_weight' });
  out.push({ name: 'fc.bias', shape: [NUM_CLASSES], kind: 'fc_bias' });
  return out;
}

/** All 320 state-dict entries, in torchvision's order (53 convs, 53 batchnorms of 5 entries, fc). */
export const RESNET50_TENSORS: readonly TensorSpec[] = buildSpec();

/** The 267 float tensors the model uses: everything but num_batches_tracked. */
export const RESNET50_FLOAT_TENSORS: readonly TensorSpec[] = RESNET50_TENSORS.filter((t) => t.kind !== 'num_batches_tracked');

/** 25,610,152: ResNet50's 25,557,032 parameters plus 53,120 batchnorm running statistics. */
export const RESNET50_FLOAT_COUNT = RESNET50_FLOAT_TENSORS.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);

/** Prefixes that wrappers add to the names (DataParallel's `module.`, Lightning/timm wrappers' `model.`). */
const PREFIXES = ['', 'module.', 'model.'];

function findPrefix(tensors: Map<string, RawTensor>): string {
  // Choose the prefix under which the most ResNet50 names exist, so a file with a stray `conv1.weight` next to
  // a full `module.`-prefixed state dict still resolves.
  let best = '';
  let bestHits = -1;
  for (const prefix of PREFIXES) {
    let hits = 0;
    for (const t of RESNET50_FLOAT_TENSORS) if (tensors.has(prefix + t.name)) hits++;
    if (hits > bestHits) {
      best = prefix;
      bestHits = hits;
    }
  }
  return best;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Check that `file` holds a ResNet50 state dict and return its float tensors as float32, keyed by torchvision
 * name (prefix stripped), num_batches_tracked left out. F32 tensors are views into the file when aligned.
 * Unrelated extra tensors are ignored; a missing or mis-shaped tensor, an integer dtype or a NaN/Inf value is
 * a WgcamError naming the tensor.
 */
export function validateResNet50(file: SafetensorsFile): Map<string, Float32Array> {
  const prefix = findPrefix(file.tensors);
  const missing = RESNET50_FLOAT_TENSORS.filter((t) => !file.tensors.has(prefix + t.name));
  if (missing.length === RESNET50_FLOAT_TENSORS.length) {
    const sample = [...file.tensors.keys()].slice(0, 3).map((n) => quoteName(n)).join(', ');
    throw weightsError(
      'WEIGHTS_MISSING_TENSOR',
      `no ResNet50 tensor found (the file has ${file.tensors.size} tensors${sample ? `, e.g. ${sample}` : ''}): use torchvision ResNet50 weights such as timm/resnet50.tv_in1k`,
    );
  }
  if (missing.length > 0) {
    const first = missing[0]!;
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    throw weightsError('WEIGHTS_MISSING_TENSOR', `weights lack tensor ${first.name} ${formatShape(first.shape)}${more}: use a complete torchvision or timm ResNet50 state dict`);
  }
  const weights = new Map<string, Float32Array>();
  for (const spec of RESNET50_FLOAT_TENSORS) {
    const stored = prefix + spec.name;
    const raw = file.tensors.get(stored)!;
    if (!sameShape(raw.shape, spec.shape)) {
      throw weightsError('WEIGHTS_WRONG_SHAPE', `tensor ${stored} has shape ${formatShape(raw.shape)} but ResNet50 needs ${formatShape(spec.shape)}: these weights are for another model`);
    }
    const values = toFloat32(raw, stored);
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      throw weightsError('WEIGHTS_NON_FINITE', `tensor ${stored} holds ${values[bad]} at index ${bad}: the weights are corrupt (or the training diverged); use other weights`);
    }
    weights.set(spec.name, values);
  }
  return weights;
}

/** Index of the first NaN or infinity, or -1. (x - x is 0 for every finite x and NaN otherwise.) */
function firstNonFinite(values: Float32Array): number {
  let acc = 0;
  // Fast pass without branches per element; rescan only when something is wrong.
  for (let i = 0; i < values.length; i++) acc += values[i]! - values[i]!;
  if (acc === 0) return -1;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
