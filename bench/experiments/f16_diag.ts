// Where the f16 path's input-gradient error comes from: relative L2 of the input and parameter gradients against
// eval-chelsea, and how much of the squared error the worst elements hold (few: boundary flips; many: broad).
//   P=f16 node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/f16_diag.ts   (P=f32 to compare)
import { readFileSync } from 'node:fs';
import { createNodeGpuContext } from '../../src/node/gpu.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { Wgcam } from '../../src/session.ts';
import { readSafetensors, toFloat32 } from '../../src/model/safetensors.ts';
import { relativeL2 as relL2 } from '../../src/metrics.ts';
const fx = readSafetensors(new Uint8Array(readFileSync('test/fixtures/eval-chelsea.safetensors')));
const f = (k: string) => toFloat32(fx.tensors.get(k)!);
const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const session = Wgcam.fromContext(await createNodeGpuContext(), syntheticResNet50(), undefined, { tuning: false, precision: (process.env.P ?? 'f16') as 'f16' });
const input = { shape: [...fx.tensors.get('input')!.shape], data: f('input') };
const g = await session.gradcam(input, { layers: ['layer4'], targets: [Number(fx.metadata.target)], inputGrad: true, params: ['conv1.weight', 'layer1.0.conv2.weight', 'layer2.0.conv2.weight'] });
const ig = f('input_grad');
console.log('input_grad rms', rms(ig), 'relL2', relL2(g.inputGrad!.data, ig));
// How concentrated the error is: the share of squared error in the worst 0.5% / 5% of elements.
const err = Array.from(ig, (v, i) => (g.inputGrad!.data[i]! - v) ** 2).sort((a, b) => b - a);
const total = err.reduce((s, v) => s + v, 0);
for (const frac of [0.005, 0.05]) console.log(`worst ${frac * 100}% of elements hold ${(100 * err.slice(0, Math.floor(err.length * frac)).reduce((s, v) => s + v, 0) / total).toFixed(1)}% of the squared error`);
const cam = g.layers.get('layer4')!;
console.log('cam act relL2', relL2(cam.act.data, f('cam.layer4.act')));
for (const [k, v] of g.paramGrads) console.log(k, 'rms', rms(f(`grad.${k}`)), 'relL2', relL2(v.data, f(`grad.${k}`)));
process.exit(0);
