// Exact ties, as PyTorch keeps them (issue: photos with flat regions). PyTorch computes every output position of
// a conv in the same order, so equal input patches give bit-equal outputs, and a max pool over them sees exactly
// equal maxima and passes the gradient to the first. Checked here on inputs with many equal patches (flat
// regions, zero regions that meet the padding at the edges):
// - every conv form and GEMM core the planner can choose (implicit GEMM on the tiled and untiled cores, the thin
//   tiles, split-K, explicit columns, the window kernel; f32 and f16 operands), forced through ctx.kernels: equal
//   patches give bit-equal outputs, with the fused epilogue (affine, ReLU) too;
// - max pool: on tied windows the gradient goes to the first maximum in row-major order, against a CPU
//   reference (test/reference/ops.ts) and against hand-picked positions.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { configureKernels, type KernelConfig } from '../src/kernels/config.ts';
import { conv2d } from '../src/kernels/conv/conv2d.ts';
import { planConv, type ConvForm } from '../src/kernels/conv/plan.ts';
import { GEMM_TILES } from '../src/kernels/gemm/tiles.ts';
import { maxPool, type PoolGeometry } from '../src/kernels/pool/maxpool.ts';
import { windowForwardFits } from '../src/kernels/software/conv2d_window.ts';
import { maxPoolBackward } from '../src/kernels/pool/maxpool_backward.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { relL2 } from './helpers/fixtures.ts';
import { readAndRelease } from './helpers/gpu_case.ts';
import { skipBecause } from './helpers/skip.ts';
import * as ref from './reference/ops.ts';

type Shape4 = [number, number, number, number];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

let ctx: GpuContext;
let original: KernelConfig;
beforeAll(async () => {
  ctx = await createNodeGpuContext();
  original = ctx.kernels;
});
afterAll(() => {
  if (ctx) ctx.kernels = original;
  ctx?.destroy();
});

/**
 * An image batch with flat regions: per image and channel a constant background (0 in a band along the top and
 * left edges, so patches there that reach into the padding equal interior patches of the band, for the stem's
 * 7x7 too), two flat
 * rectangles of other constants, and random values elsewhere. Constants are exact in float32 and no value is -0.
 */
function flatInput(shape: Shape4, seed: number): Float32Array {
  const [n, c, h, w] = shape;
  const rng = ref.mulberry32(seed);
  const x = new Float32Array(size(shape));
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      const flatA = Math.fround(0.75 + ch * 0.125);
      const flatB = Math.fround(-1.5 + ch * 0.0625);
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) {
          let v: number;
          if (y < 9 || xx < 8) v = 0; // zero band along two edges, wide enough for interior all-zero 7x7 patches
          else if (y >= 11 && y < h - 2 && xx >= 10 && xx < 10 + Math.floor(w / 2)) v = flatA;
          else if (y >= h - 6 && xx >= w - 9) v = flatB; // flat corner: meets the padding with non-zero values
          else v = Math.fround(2 * rng() - 1) || 0.5;
          x[((b * c + ch) * h + y) * w + xx] = v;
        }
    }
  return x;
}

/** Output positions (image, oy, ox) grouped by the bits of their input patch (padding as +0); groups of 2 or more. */
function equalPatches(x: Float32Array, shape: Shape4, k: number, stride: number, pad: number): { oh: number; ow: number; groups: number[][]; inPadding: Set<number> } {
  const [n, c, h, w] = shape;
  const oh = ref.convOutSize(h, k, stride, pad);
  const ow = ref.convOutSize(w, k, stride, pad);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const byPatch = new Map<string, number[]>();
  const inPadding = new Set<number>(); // positions whose patch reaches into the padding
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const key: number[] = [];
        for (let ch = 0; ch < c; ch++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride - pad + ky;
              const ix = ox * stride - pad + kx;
              const outside = iy < 0 || ix < 0 || iy >= h || ix >= w;
              if (outside) inPadding.add((b * oh + oy) * ow + ox);
              key.push(outside ? 0 : bits[((b * c + ch) * h + iy) * w + ix]!);
            }
        const id = key.join(',');
        const group = byPatch.get(id) ?? [];
        group.push((b * oh + oy) * ow + ox);
        byPatch.set(id, group);
      }
  return { oh, ow, groups: [...byPatch.values()].filter((g) => g.length > 1), inPadding };
}

interface TieCase {
  name: string;
  x: Shape4;
  outC: number;
  k: number;
  stride: number;
  pad: number;
}

// ResNet50's conv kinds at small odd sizes: the stem's 7x7/2, the 3x3s at stride 1 and 2, 1x1s; 8 output
// channels take the thin tiles; 72 cross a 64-wide tile, so tile edges fall inside the flat regions.
const CASES: TieCase[] = [
  { name: 'stem 7x7/2 pad 3', x: [2, 3, 37, 41], outC: 16, k: 7, stride: 2, pad: 3 },
  { name: '3x3/1 pad 1', x: [2, 11, 21, 26], outC: 72, k: 3, stride: 1, pad: 1 },
  { name: '3x3/2 pad 1', x: [1, 13, 23, 27], outC: 24, k: 3, stride: 2, pad: 1 },
  { name: '3x3/1 pad 1, 8 channels (thin tiles)', x: [1, 9, 19, 22], outC: 8, k: 3, stride: 1, pad: 1 },
  { name: '1x1/1', x: [2, 70, 13, 15], outC: 40, k: 1, stride: 1, pad: 0 },
  { name: '1x1/2', x: [1, 33, 17, 19], outC: 72, k: 1, stride: 2, pad: 0 },
];

// The routes, forced through ctx.kernels; `splitK` forces K slices. Each case checks below that the planner
// takes the form named; the window route is left out where the window kernel does not fit.
interface Route {
  name: string;
  config: Partial<KernelConfig>;
  splitK?: number;
  forms: ConvForm[];
}
const NO_WINDOWS = { forward: 'none', inputGrad: 'none' } as const;
const ALL_WINDOWS = { forward: 'all', inputGrad: 'all' } as const;
const ROUTES: Route[] = [
  { name: 'tiled 64x64, implicit', config: { tiles: GEMM_TILES['tiled-64x64']!, splitK: false, windows: NO_WINDOWS }, forms: ['implicit'] },
  { name: 'tiled 128x128, implicit', config: { tiles: GEMM_TILES['tiled-128x128']!, splitK: false, windows: NO_WINDOWS }, forms: ['implicit'] },
  { name: 'tiled fit, implicit, split-K 3', config: { tiles: GEMM_TILES['tiled-fit']!, splitK: false, windows: NO_WINDOWS }, splitK: 3, forms: ['implicit'] },
  { name: 'untiled 64x64, columns or implicit', config: { tiles: GEMM_TILES['untiled-64x64']!, splitK: false, windows: NO_WINDOWS }, forms: ['columns', 'implicit'] },
  { name: 'untiled fit, columns, split-K 2', config: { tiles: GEMM_TILES['untiled-fit']!, splitK: false, windows: NO_WINDOWS }, splitK: 2, forms: ['columns', 'implicit'] },
  { name: 'untiled, window kernel', config: { tiles: GEMM_TILES['untiled-fit']!, splitK: false, windows: ALL_WINDOWS }, forms: ['window'] },
  // f16 operands (shader-f16): equal patches round to equal operands, summed in the same order.
  { name: 'tiled 64x64, implicit, f16 operands', config: { tiles: GEMM_TILES['tiled-64x64']!, operands: 'f16', splitK: false, windows: NO_WINDOWS }, forms: ['implicit'] },
  { name: 'untiled, window kernel, f16 operands', config: { tiles: GEMM_TILES['untiled-fit']!, operands: 'f16', splitK: false, windows: ALL_WINDOWS }, forms: ['window'] },
];

describe('equal input patches give bit-equal conv outputs', () => {
  for (const c of CASES) {
    // The window kernel takes the windowed convs it fits (not 1x1s without padding).
    const routes = ROUTES.filter((r) => !r.forms.includes('window') || windowForwardFits({ outC: c.outC, kH: c.k, kW: c.k, stride: c.stride, pad: c.pad }));
    for (const route of routes) {
      test(`${c.name}: ${route.name}`, async (context) => {
        const f16 = route.config.operands === 'f16';
        if (f16 && !ctx.hasF16) skipBecause(context, `the adapter (${ctx.adapter.description}) has no shader-f16`);
        ctx.kernels = { ...original, ...route.config };
        const shape = { batch: c.x[0], inC: c.x[1], outC: c.outC, inH: c.x[2], inW: c.x[3], kH: c.k, kW: c.k, stride: c.stride, pad: c.pad };
        const plan = planConv(ctx.kernels, shape, 'forward', route.splitK);
        expect(route.forms, `planned ${plan.form}`).toContain(plan.form);
        if (route.splitK) expect(plan.splits, 'split-K slices').toBeGreaterThan(1);

        const x = flatInput(c.x, 17 + c.k);
        const wShape: Shape4 = [c.outC, c.x[1], c.k, c.k];
        const w = Float32Array.from(ref.randn(size(wShape), ref.mulberry32(5)));
        const scale = Float32Array.from(ref.randn(c.outC, ref.mulberry32(6)));
        const shift = Float32Array.from(ref.randn(c.outC, ref.mulberry32(8)));
        const { oh, ow, groups, inPadding } = equalPatches(x, c.x, c.k, c.stride, c.pad);
        // Padding contributes exact zeros: some patch that reaches into the padding equals one inside the image.
        if (c.pad > 0) expect(groups.some((g) => g.some((p) => inPadding.has(p)) && g.some((p) => !inPadding.has(p))), 'a group mixing padding and interior').toBe(true);
        // At least two flat values (0, which the padding also gives, and a rectangle's constant).
        expect(groups.length, 'groups of equal patches').toBeGreaterThanOrEqual(2);
        const held: Tensor[] = [ctx.upload(x, c.x), ctx.upload(w, wShape), ctx.upload(scale, [c.outC]), ctx.upload(shift, [c.outC])];
        const [tx, tw, ts, tb] = held as [Tensor, Tensor, Tensor, Tensor];
        try {
          const options = route.splitK ? { splitK: route.splitK } : {};
          const plain = await readAndRelease(ctx, conv2d(ctx, tx, tw, c, {}, options));
          const fused = await readAndRelease(ctx, conv2d(ctx, tx, tw, c, { scale: ts, shift: tb, relu: true }, options));
          // The sums are right (float64 reference), and within each group of equal patches bit-equal.
          const want = ref.conv2dForward(x, c.x, w, wShape, null, c).y;
          // f16 operands: each operand rounded to 11 bits (test/precision_f16.test.ts checks that rounding exactly).
          expect(relL2(plain, want), 'against float64').toBeLessThan(f16 ? 3e-3 : 1e-5);
          const area = oh * ow;
          let compared = 0;
          for (const y of [plain, fused]) {
            const bits = new Uint32Array(y.buffer, y.byteOffset, y.length);
            for (const group of groups) {
              for (let co = 0; co < c.outC; co++) {
                const at = (pos: number) => (Math.floor(pos / area) * c.outC + co) * area + (pos % area);
                const first = bits[at(group[0]!)]!;
                for (const pos of group) {
                  if (bits[at(pos)] !== first) {
                    throw new Error(`channel ${co}: positions ${group[0]} and ${pos} have equal patches but outputs ${y[at(group[0]!)]} and ${y[at(pos)]}`);
                  }
                  compared++;
                }
              }
            }
          }
          expect(compared).toBeGreaterThan(0);
        } finally {
          held.forEach((t) => t.release());
        }
      });
    }
  }
});

describe('max pool on tied windows passes the gradient to the first maximum', () => {
  const geom: PoolGeometry = { kernel: 3, stride: 2, pad: 1 };

  test('quantised values (many exact ties) against the CPU reference, exactly', async () => {
    // Values from {0, 0.5, 1, 1.5}, mostly ties; dy small integers, so every sum of routed gradients is exact.
    const shape: Shape4 = [2, 6, 17, 14];
    const rng = ref.mulberry32(23);
    const x = Float32Array.from({ length: size(shape) }, () => Math.floor(rng() * 4) / 2);
    const want = ref.maxPoolForward(x, shape, { k: 3, stride: 2, pad: 1 });
    const dy = Float32Array.from({ length: want.y.length }, () => 1 + Math.floor(rng() * 7));
    const tx = ctx.upload(x, shape);
    const { y, argmax } = maxPool(ctx, tx, geom);
    try {
      const tdy = ctx.upload(dy, want.shape);
      const dx = await readAndRelease(ctx, maxPoolBackward(ctx, tdy, argmax, shape, geom));
      tdy.release();
      expect(Array.from(await ctx.read(y))).toEqual(Array.from(want.y));
      const [, , oh, ow] = want.shape;
      const planeIndex = Array.from(want.argmax, (j) => j % (shape[2] * shape[3]));
      expect(Array.from(await ctx.readU32(argmax))).toEqual(planeIndex);
      expect(Array.from(dx)).toEqual(Array.from(ref.maxPoolBackward(dy, want.argmax, shape)));
      expect(oh * ow).toBeGreaterThan(0);
    } finally {
      [tx, y, argmax].forEach((t) => t.release());
    }
  });

  test('a flat plane with one raised 2x2 block: first element of each tied window, by hand', async () => {
    // 1 x 1 x 6 x 6, all 2 except x[2..3][2..3] = 3. Windows (3x3/2 pad 1) start at rows/columns -1, 1, 3.
    const shape: Shape4 = [1, 1, 6, 6];
    const x = new Float32Array(36).fill(2);
    for (const [r, col] of [[2, 2], [2, 3], [3, 2], [3, 3]] as const) x[r * 6 + col] = 3;
    const dy = Float32Array.from({ length: 9 }, (_, i) => 10 ** i);
    const tx = ctx.upload(x, shape);
    const { y, argmax } = maxPool(ctx, tx, geom);
    try {
      const tdy = ctx.upload(dy, [1, 1, 3, 3]);
      const dx = await readAndRelease(ctx, maxPoolBackward(ctx, tdy, argmax, shape, geom));
      tdy.release();
      // Window (0,0) covers rows/cols 0..1: all 2, first is (0,0). (0,1) covers cols 1..3: all 2 in rows 0..1,
      // first (0,1). (1,1) covers rows/cols 1..3 and holds the block's (2,2) first. (1,0): rows 1..3, cols 0..1:
      // all 2, first (1,0). (1,2): rows 1..3, cols 3..5: the 3s at (2,3) then (3,3): first (2,3). (2,1): rows
      // 3..5, cols 1..3: (3,2) first. (2,2): rows 3..5, cols 3..5: (3,3). (0,2): rows 0..1, cols 3..5: (0,3).
      // (2,0): rows 3..5, cols 0..1: (3,0).
      const expected = new Float64Array(36);
      const route = [[0, 0], [0, 1], [0, 3], [1, 0], [2, 2], [2, 3], [3, 0], [3, 2], [3, 3]];
      route.forEach(([r, col], o) => (expected[r! * 6 + col!] = expected[r! * 6 + col!]! + dy[o]!));
      expect(Array.from(dx)).toEqual(Array.from(expected));
      expect(Array.from(await ctx.read(y))).toEqual([2, 2, 2, 2, 3, 3, 2, 3, 3]);
    } finally {
      [tx, y, argmax].forEach((t) => t.release());
    }
  });
});
