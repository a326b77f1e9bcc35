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

/** The parameters a gradient can be asked for: every conv and batchnorm weight, batchnorm bias, fc. */
export function parameterNames(): string[] {
  const names = ['conv1.weight', 'bn1.weight', 'bn1.bias'];
  for (const stage of STAGES) {
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      for (const k of [1, 2, 3]) names.push(`${p}.conv${k}.weight`, `${p}.bn${k}.weight`, `${p}.bn${k}.bias`);
      if (i === 0) names.push(`${p}.downsample.0.weight`, `${p}.downsample.1.weight`, `${p}.downsample.1.bias`);
    }
  }
  names.push('fc.weight', 'fc.bias');
  return names;
}
