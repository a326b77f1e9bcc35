// torchvision's ResNet50 (v1.5: the stride sits on the 3x3 conv of each bottleneck), described as data:
// the stages, and every module path a user may name, in forward order.

export interface Stage {
  name: 'layer1' | 'layer2' | 'layer3' | 'layer4';
  blocks: number;
  width: number;
  stride: number;
}

export const STAGES: readonly Stage[] = [
  { name: 'layer1', blocks: 3, width: 64, stride: 1 },
  { name: 'layer2', blocks: 4, width: 128, stride: 2 },
  { name: 'layer3', blocks: 6, width: 256, stride: 2 },
  { name: 'layer4', blocks: 3, width: 512, stride: 2 },
];

export const EXPANSION = 4;
export const NUM_CLASSES = 1000;
export const FEATURES = 2048;
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * Every module whose output can be captured or differentiated, in forward order, named as in
 * `torchvision.models.resnet50().named_modules()`. A bottleneck's `relu` module runs three times in PyTorch;
 * here `layerX.i.relu` means its last use, the block output.
 */
export function modulePaths(): string[] {
  const paths = ['conv1', 'bn1', 'relu', 'maxpool'];
  for (const stage of STAGES) {
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      paths.push(`${p}.conv1`, `${p}.bn1`, `${p}.conv2`, `${p}.bn2`, `${p}.conv3`, `${p}.bn3`);
      if (i === 0) paths.push(`${p}.downsample.0`, `${p}.downsample.1`, `${p}.downsample`);
      paths.push(`${p}.relu`, p);
    }
    paths.push(stage.name);
  }
  paths.push('avgpool', 'fc');
  return paths;
}

const PATH_ORDER = new Map(modulePaths().map((p, i) => [p, i]));

/** Position in forward order, or undefined for a name that is not a module of ResNet50. */
export function pathOrder(path: string): number | undefined {
  return PATH_ORDER.get(path);
}

export function isModulePath(path: string): boolean {
  return PATH_ORDER.has(path);
}

/** A module with parameters other than fc: a conv (no bias) or a batchnorm. */
export type ParameterLayer =
  | { kind: 'conv'; name: string; outChannels: number; inChannels: number; kernel: number }
  /** `residual`: the batchnorm's output feeds a residual sum (`*.bn3`, `*.downsample.1`). */
  | { kind: 'batchnorm'; name: string; channels: number; residual: boolean };

/** Every conv and batchnorm, in torchvision's state_dict order (fc, which follows them, is left to callers). */
export function parameterLayers(): ParameterLayer[] {
  const layers: ParameterLayer[] = [];
  const conv = (name: string, outChannels: number, inChannels: number, kernel: number) =>
    layers.push({ kind: 'conv', name, outChannels, inChannels, kernel });
  const bn = (name: string, channels: number, residual = false) => layers.push({ kind: 'batchnorm', name, channels, residual });
  conv('conv1', 64, 3, 7);
  bn('bn1', 64);
  let inC = 64;
  for (const stage of STAGES) {
    const w = stage.width;
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      conv(`${p}.conv1`, w, inC, 1);
      bn(`${p}.bn1`, w);
      conv(`${p}.conv2`, w, w, 3);
      bn(`${p}.bn2`, w);
      conv(`${p}.conv3`, w * EXPANSION, w, 1);
      bn(`${p}.bn3`, w * EXPANSION, true);
      if (i === 0) {
        conv(`${p}.downsample.0`, w * EXPANSION, inC, 1);
        bn(`${p}.downsample.1`, w * EXPANSION, true);
      }
      inC = w * EXPANSION;
    }
  }
  return layers;
}

/** The parameters a gradient can be asked for: every conv and batchnorm weight, batchnorm bias, fc. */
export function parameterNames(): string[] {
  const names = parameterLayers().flatMap((l) => (l.kind === 'conv' ? [`${l.name}.weight`] : [`${l.name}.weight`, `${l.name}.bias`]));
  names.push('fc.weight', 'fc.bias');
  return names;
}

/** A conv with a spatial window (the stem and the 3x3s), where it runs in a forward pass. */
export interface WindowedConv {
  /** The first module that has this shape, e.g. `layer2.0.conv2`. */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: number;
  /** Its input's height and width. */
  inSize: number;
}

/**
 * The distinct windowed convs of a forward pass on square images of `size` pixels (224: ImageNet's), in order:
 * the stem's 7x7 and, per stage, the first block's 3x3 (strided from layer2 on) and the 3x3 the other blocks
 * share. The 1x1s have no window.
 */
export function windowedConvs(size = 224): WindowedConv[] {
  const out = (s: number, k: number, stride: number, pad: number) => Math.floor((s + 2 * pad - k) / stride) + 1;
  const convs: WindowedConv[] = [{ name: 'conv1', inChannels: 3, outChannels: 64, kernel: 7, stride: 2, pad: 3, inSize: size }];
  let s = out(out(size, 7, 2, 3), 3, 2, 1); // the stem and the max pool
  for (const stage of STAGES) {
    const { width } = stage;
    convs.push({ name: `${stage.name}.0.conv2`, inChannels: width, outChannels: width, kernel: 3, stride: stage.stride, pad: 1, inSize: s });
    s = out(s, 3, stage.stride, 1);
    if (stage.stride !== 1) {
      convs.push({ name: `${stage.name}.1.conv2`, inChannels: width, outChannels: width, kernel: 3, stride: 1, pad: 1, inSize: s });
    }
  }
  return convs;
}

/** One of ResNet50's 53 convs by module path, with its input's height and width in a forward pass. */
export interface NetworkConv extends Omit<WindowedConv, 'name'> {
  path: string;
}

/** Every conv of a forward pass on square images of `size` pixels, in forward order (53). */
export function resnet50Convs(size = 224): NetworkConv[] {
  const out = (s: number, k: number, stride: number, pad: number) => Math.floor((s + 2 * pad - k) / stride) + 1;
  const convs: NetworkConv[] = [{ path: 'conv1', inChannels: 3, outChannels: 64, kernel: 7, stride: 2, pad: 3, inSize: size }];
  let s = out(out(size, 7, 2, 3), 3, 2, 1); // the stem and the max pool
  let inC = 64;
  for (const stage of STAGES) {
    const w = stage.width;
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      const stride = i === 0 ? stage.stride : 1;
      convs.push({ path: `${p}.conv1`, inChannels: inC, outChannels: w, kernel: 1, stride: 1, pad: 0, inSize: s });
      convs.push({ path: `${p}.conv2`, inChannels: w, outChannels: w, kernel: 3, stride, pad: 1, inSize: s });
      const next = out(s, 3, stride, 1);
      convs.push({ path: `${p}.conv3`, inChannels: w, outChannels: w * EXPANSION, kernel: 1, stride: 1, pad: 0, inSize: next });
      if (i === 0) convs.push({ path: `${p}.downsample.0`, inChannels: inC, outChannels: w * EXPANSION, kernel: 1, stride, pad: 0, inSize: s });
      inC = w * EXPANSION;
      s = next;
    }
  }
  return convs;
}
