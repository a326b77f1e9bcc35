// The direct input-gradient kernel against the columns GEMM + col2im it replaced on the direct core, on the
// context's tiles (the autotuner's choice), alternating in one process: GPU time per form (timestamp-query),
// medians, and the relative L2 difference of their results. For bench/NOTES.md.
//   node --import tsx/esm --loader ./bin/wgsl-loader.mjs bench/experiments/input_grad_forms.ts
// Environment: CONVS=inC,outC,kernel,stride,size;... (default the stem and ResNet50's 3x3s); VK_ICD_FILENAMES
// for SwiftShader.
import type { Tensor } from '../../src/gpu/tensor.ts';
import { col2im } from '../../src/kernels/conv/col2im.ts';
import { stridePhases } from '../../src/kernels/conv/geometry.ts';
import { gemmTiles } from '../../src/kernels/gemm/tiles.ts';
import { conv2dInputGradColumns } from '../../src/kernels/conv/conv2d_backward_input_columns.ts';
import { conv2dInputGradWindow } from '../../src/kernels/software/conv2d_backward_input_window.ts';
import { autotuneGemm, describeGemmTuning } from '../../src/kernels/gemm/tuner.ts';
import { createNodeGpuContext } from '../../src/node/gpu.ts';

const ctx = await createNodeGpuContext();
console.log(describeGemmTuning(await autotuneGemm(ctx)));
const rand = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const convs = (process.env.CONVS ?? '3,64,7,2,224;64,64,3,1,56;128,128,3,2,56;256,256,3,2,28;256,256,3,1,14;512,512,3,1,7').split(';');
for (const spec of convs) {
  const [inC, outC, k, stride, size] = spec.split(',').map(Number) as [number, number, number, number, number];
  const pad = k >> 1;
  const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const geometry = { inH: size, inW: size, outH: out, outW: out, kH: k, kW: k, stride, pad };
  const inputShape = [1, inC, size, size] as const;
  const dy = ctx.upload(rand(outC * out * out), [1, outC, out, out]);
  const w = ctx.upload(rand(outC * inC * k * k), [outC, inC, k, k]);
  const forms: Record<string, () => Tensor> = {
    columns: () => {
      const cols = conv2dInputGradColumns(ctx, dy, w, 1, geometry, gemmTiles(ctx.kernels, w.shape[1]! * k * k, geometry.outH * geometry.outW, w.shape[0]!));
      const dx = col2im(ctx, cols, inputShape, geometry);
      cols.release();
      return dx;
    },
    direct: () => conv2dInputGradWindow(ctx, dy, w, inputShape, geometry, stridePhases(size, size, k, k, { stride, pad })),
  };
  const times: Record<string, number[]> = { columns: [], direct: [] };
  const results: Record<string, Float32Array> = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, run] of Object.entries(forms)) {
      for (let r = 0; r < 4; r++) {
        ctx.setProfiling(true);
        const dx = run();
        const timings = await ctx.collectTimings();
        ctx.setProfiling(false);
        if (r === 3) results[name] = await ctx.read(dx);
        dx.release();
        if (r > 0) times[name]!.push(timings.reduce((sum, t) => sum + t.ms, 0)); // the first compiles
      }
    }
  }
  let num = 0;
  let den = 0;
  results.columns!.forEach((v, i) => {
    num += (v - results.direct![i]!) ** 2;
    den += v * v;
  });
  console.log(
    `${k}x${k}/${stride} ${outC}->${inC} ${size}x${size}: columns + col2im ${median(times.columns!).toFixed(1)} ms, ` +
      `direct ${median(times.direct!).toFixed(1)} ms (relative L2 difference ${Math.sqrt(num / den).toExponential(1)})`,
  );
  dy.release();
  w.release();
}
process.exit(0);
