// Which module output forwardFrom needs besides the resumed activation (no GPU).
import { expect, test } from 'vitest';
import { blockInputPath } from '../src/model/resnet50.ts';

test('blockInputPath: the input of the bottleneck a path sits inside, null at block and stage boundaries', () => {
  expect(blockInputPath('layer1.0.conv1')).toBe('maxpool');
  expect(blockInputPath('layer2.0.downsample.0')).toBe('layer1');
  expect(blockInputPath('layer2.0.downsample')).toBe('layer1');
  expect(blockInputPath('layer3.1.bn2')).toBe('layer3.0');
  expect(blockInputPath('layer4.2.conv3')).toBe('layer4.1');
  for (const p of ['conv1', 'bn1', 'relu', 'maxpool', 'layer2', 'layer3.2', 'layer4.2.relu', 'avgpool', 'fc']) expect(blockInputPath(p), p).toBeNull();
  expect(() => blockInputPath('layer5')).toThrow(expect.objectContaining({ code: 'UNKNOWN_LAYER' }));
});
