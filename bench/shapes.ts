// The distinct layer shapes of ResNet50 (torchvision v1.5) at a given input size and batch, walked from
// src/model/architecture.ts exactly as ResNet50.forward walks it. Layers with the same shape are one entry
// with every module path that has it, so a benchmark times each distinct problem once and `count` says how
// often a full pass runs it.
import { EXPANSION, FEATURES, NUM_CLASSES, STAGES } from '../src/model/architecture.ts';

export interface ConvShape {
  key: string;
  layers: string[];
  batch: number;
  inC: number;
  outC: number;
  kernel: number;
  stride: number;
  pad: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

/** An activation [N, C, H, W] that an elementwise kernel (batchnorm, ReLU, add) runs on. */
export interface ActShape {
  key: string;
  layers: string[];
  n: number;
  c: number;
  h: number;
  w: number;
}

export interface LinearShape {
  rows: number;
  inFeatures: number;
  outFeatures: number;
}

export interface NetworkShapes {
  batch: number;
  size: number;
  convs: ConvShape[];
  /** Outputs of every conv (the batchnorms' inputs). */
  batchnorms: ActShape[];
  /** Standalone ReLUs of the unfused graph: the stem's and each bottleneck's first two. */
  relus: ActShape[];
  /** Residual adds (each followed by its ReLU, fused into the add kernel as the network runs it). */
  adds: ActShape[];
  /** The max pool's input. */
  maxpool: ActShape;
  /** The global average pool's input. */
  avgpool: ActShape;
  linear: LinearShape;
}

const outSize = (size: number, k: number, stride: number, pad: number): number => Math.floor((size + 2 * pad - k) / stride) + 1;

class Distinct<T extends { key: string; layers: string[] }> {
  private readonly byKey = new Map<string, T>();
  add(item: T): void {
    const seen = this.byKey.get(item.key);
    if (seen) seen.layers.push(...item.layers);
    else this.byKey.set(item.key, item);
  }
  get list(): T[] {
    return [...this.byKey.values()];
  }
}

export function convKey(c: Omit<ConvShape, 'key' | 'layers' | 'outH' | 'outW'>): string {
  return `${c.kernel}x${c.kernel}/${c.stride} ${c.inC}->${c.outC} ${c.inH}x${c.inW}`;
}

export function actKey(a: { n: number; c: number; h: number; w: number }): string {
  return `${a.n}x${a.c}x${a.h}x${a.w}`;
}

export function resnet50Shapes(batch = 1, size = 224): NetworkShapes {
  const convs = new Distinct<ConvShape>();
  const bns = new Distinct<ActShape>();
  const relus = new Distinct<ActShape>();
  const adds = new Distinct<ActShape>();
  const act = (layer: string, c: number, h: number, w: number): ActShape => ({ key: actKey({ n: batch, c, h, w }), layers: [layer], n: batch, c, h, w });
  const conv = (layer: string, inC: number, outC: number, kernel: number, stride: number, pad: number, inH: number, inW: number): [number, number] => {
    const geometry = { batch, inC, outC, kernel, stride, pad, inH, inW };
    const outH = outSize(inH, kernel, stride, pad);
    const outW = outSize(inW, kernel, stride, pad);
    convs.add({ ...geometry, key: convKey(geometry), layers: [layer], outH, outW });
    return [outH, outW];
  };

  let [h, w] = conv('conv1', 3, 64, 7, 2, 3, size, size);
  bns.add(act('bn1', 64, h, w));
  relus.add(act('relu', 64, h, w));
  const maxpool = act('maxpool', 64, h, w);
  h = outSize(h, 3, 2, 1);
  w = outSize(w, 3, 2, 1);
  let inC = 64;
  for (const stage of STAGES) {
    for (let i = 0; i < stage.blocks; i++) {
      const p = `${stage.name}.${i}`;
      const width = stage.width;
      const stride = i === 0 ? stage.stride : 1;
      conv(`${p}.conv1`, inC, width, 1, 1, 0, h, w);
      bns.add(act(`${p}.bn1`, width, h, w));
      relus.add(act(`${p}.relu(1)`, width, h, w));
      const [h2, w2] = conv(`${p}.conv2`, width, width, 3, stride, 1, h, w);
      bns.add(act(`${p}.bn2`, width, h2, w2));
      relus.add(act(`${p}.relu(2)`, width, h2, w2));
      conv(`${p}.conv3`, width, width * EXPANSION, 1, 1, 0, h2, w2);
      bns.add(act(`${p}.bn3`, width * EXPANSION, h2, w2));
      if (i === 0) {
        conv(`${p}.downsample.0`, inC, width * EXPANSION, 1, stride, 0, h, w);
        bns.add(act(`${p}.downsample.1`, width * EXPANSION, h2, w2));
      }
      adds.add(act(`${p} (add+relu)`, width * EXPANSION, h2, w2));
      inC = width * EXPANSION;
      h = h2;
      w = w2;
    }
  }
  return {
    batch,
    size,
    convs: convs.list,
    batchnorms: bns.list,
    relus: relus.list,
    adds: adds.list,
    maxpool,
    avgpool: act('avgpool', FEATURES, h, w),
    linear: { rows: batch, inFeatures: FEATURES, outFeatures: NUM_CLASSES },
  };
}

/**
 * The conv shapes `--quick` times: one of each kind of problem (the 7x7 stem, a 3x3 at stride 1 and at
 * stride 2, a 1x1 reduction, a strided 1x1 downsample), every stage's resolution but one.
 */
export const QUICK_CONV_LAYERS = ['conv1', 'layer1.0.conv2', 'layer2.0.conv2', 'layer3.1.conv1', 'layer4.0.downsample.0'] as const;

export function quickConvs(convs: readonly ConvShape[]): ConvShape[] {
  return convs.filter((c) => c.layers.some((l) => (QUICK_CONV_LAYERS as readonly string[]).includes(l)));
}
