// A float64 torchvision Bottleneck (ResNet v1.5: the stride sits on the 3x3 conv) built from the reference ops,
// for small-shape tests. A full float64 ResNet50 at 224x224 is too slow on the CPU for a test; compose blocks
// at small sizes instead.
//
//   out = relu(bn1(conv1x1(x)))
//   out = relu(bn2(conv3x3(out, stride)))
//   out = bn3(conv1x1(out))            (planes -> 4 * planes)
//   out = relu(out + (downsample ? bnD(conv1x1(x, stride)) : x))

import {
  addForward,
  batchnormEvalForward,
  batchnormTrainForward,
  conv2dForward,
  reluForward,
  type Data,
  type Shape4,
} from './ops.ts';

export interface BNParams {
  gamma: Data;
  beta: Data;
  runningMean: Data;
  runningVar: Data;
}

export interface BottleneckParams {
  /** [planes, inC, 1, 1] */
  conv1: Data;
  bn1: BNParams;
  /** [planes, planes, 3, 3] */
  conv2: Data;
  bn2: BNParams;
  /** [4*planes, planes, 1, 1] */
  conv3: Data;
  bn3: BNParams;
  /** conv [4*planes, inC, 1, 1] with the block's stride, then bn; required when stride != 1 or inC != 4*planes. */
  downsample?: { conv: Data; bn: BNParams } | null;
}

export interface BottleneckOptions {
  planes: number;
  stride: number;
  /** 'eval' (running statistics, the default) or 'train' (batch statistics; running stats are not returned). */
  bnMode?: 'eval' | 'train';
  eps?: number;
}

export const BOTTLENECK_EXPANSION = 4;

function bn(x: Data, shape: Shape4, p: BNParams, mode: 'eval' | 'train', eps: number): Float64Array {
  if (mode === 'eval') return batchnormEvalForward(x, shape, p.gamma, p.beta, p.runningMean, p.runningVar, eps);
  return batchnormTrainForward(x, shape, p.gamma, p.beta, p.runningMean, p.runningVar, eps).y;
}

/** Intermediates are returned too, so a test can compare each stage. */
export function bottleneckForward(
  x: Data,
  xShape: Shape4,
  params: BottleneckParams,
  { planes, stride, bnMode = 'eval', eps = 1e-5 }: BottleneckOptions,
): {
  y: Float64Array;
  shape: Shape4;
  stages: { a1: Float64Array; a2: Float64Array; b3: Float64Array; identity: Float64Array };
} {
  const [, inC] = xShape;
  const outC = planes * BOTTLENECK_EXPANSION;
  const needDown = stride !== 1 || inC !== outC;
  if (needDown && !params.downsample) throw new Error('bottleneckForward: this block needs a downsample');

  const c1 = conv2dForward(x, xShape, params.conv1, [planes, inC, 1, 1], null, { stride: 1, pad: 0 });
  const a1 = reluForward(bn(c1.y, c1.shape, params.bn1, bnMode, eps));
  const c2 = conv2dForward(a1, c1.shape, params.conv2, [planes, planes, 3, 3], null, { stride, pad: 1 });
  const a2 = reluForward(bn(c2.y, c2.shape, params.bn2, bnMode, eps));
  const c3 = conv2dForward(a2, c2.shape, params.conv3, [outC, planes, 1, 1], null, { stride: 1, pad: 0 });
  const b3 = bn(c3.y, c3.shape, params.bn3, bnMode, eps);

  let identity: Float64Array;
  if (params.downsample) {
    const d = conv2dForward(x, xShape, params.downsample.conv, [outC, inC, 1, 1], null, { stride, pad: 0 });
    identity = bn(d.y, d.shape, params.downsample.bn, bnMode, eps);
  } else {
    identity = Float64Array.from(x);
  }
  const y = reluForward(addForward(b3, identity));
  return { y, shape: c3.shape, stages: { a1, a2, b3, identity } };
}
