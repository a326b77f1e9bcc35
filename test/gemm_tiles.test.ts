// The GEMM tile candidates and the autotuner that picks among them per adapter. Every candidate must give the
// same answers as the float64 CPU reference through the real kernels (conv forward, input and weight
// gradients, on odd shapes that leave partial tiles), since any of them may be the one an adapter runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { gemm } from '../src/kernels/gemm/gemm.ts';
import { KERNEL_PRIORS, adapterClass, configureKernels, priorConfig } from '../src/kernels/config.ts';
import { autotuneGemm, chooseCandidate, tuningKey, tuningPrior } from '../src/kernels/gemm/tuner.ts';
import { DEFAULT_TILES, GEMM_TILES, THIN_TILES, UNTILED_THIN_TILES, fitTiles, gemmTiles, resolveTiles, tilesName } from '../src/kernels/gemm/tiles.ts';
import { fastestRun, formatRunMs } from '../src/kernels/run_timing.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { fileTuningStore } from '../src/node/tuning_store.ts';
import { convOnGpu, convOperands, convReference, readAndRelease } from './helpers/gpu_case.ts';
import * as ref from './reference/ops.ts';

let ctx: GpuContext;
let dir: string;
const SOFTWARE_PRIOR = { choice: 'untiled-fit', clearWin: 0.75 };
const HARDWARE_PRIOR = { choice: 'tiled-64x64', clearWin: 0.95 };
const rng = ref.mulberry32(7);
const randn = (n: number) => Float32Array.from(ref.randn(n, rng));

beforeAll(async () => {
  ctx = await createNodeGpuContext();
  dir = mkdtempSync(join(tmpdir(), 'wgcam-tuning-'));
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const take = (t: Tensor) => readAndRelease(ctx, t);

describe('every tile candidate computes the same products', () => {
  const candidates = [...Object.entries(GEMM_TILES), ['thin', THIN_TILES] as const, ['thin untiled', UNTILED_THIN_TILES] as const];
  for (const [name, tiles] of candidates) {
    test(`${name}: plain GEMM 131x70x37 (partial tiles on every side)`, async () => {
      const [m, n, k] = [131, 70, 37];
      const a = randn(m * k);
      const b = randn(k * n);
      const want = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) want[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
      const ta = ctx.upload(a, [m, k]);
      const tb = ctx.upload(b, [k, n]);
      const got = await take(gemm(ctx, ta, tb, tiles));
      ta.release();
      tb.release();
      expect(ref.relL2(got, want)).toBeLessThan(1e-5);
    });
  }

  for (const [name, tiles] of Object.entries(GEMM_TILES)) {
    // CONV_CASE fills even the 128x128 tiles, so each candidate really runs.
    test(`${name}: conv forward, input and weight gradients, x [2,130,17,19] 3x3/2 pad 1 -> 131`, async () => {
      const before = ctx.kernels.tiles;
      configureKernels(ctx, { tiles: tiles });
      try {
        // [M, N, K] of the forward, one input-gradient phase and the weight gradient.
        for (const [m, n, k] of [[131, 2 * 9 * 10, 130 * 9], [130, 2 * 8 * 9, 131 * 4], [131, 130 * 9, 2 * 9 * 10]] as const) {
          expect(gemmTiles(ctx.kernels, m, n, k)).toEqual(tiles.fit ? fitTiles(m, n, k, tiles.core) : tiles);
        }
        const operands = convOperands(randn);
        const got = await convOnGpu(ctx, operands);
        const want = convReference(operands);
        expect(ref.relL2(got.y, want.y)).toBeLessThan(1e-5);
        expect(ref.relL2(got.dx, want.dx)).toBeLessThan(1e-5);
        expect(ref.relL2(got.dw, want.dw)).toBeLessThan(1e-5);
      } finally {
        configureKernels(ctx, { tiles: before ?? GEMM_TILES['tiled-64x64']! });
      }
    });
  }
});

describe('autotuner', () => {
  test('measures every candidate, applies the clear winner, remembers it per adapter, and reuses it', async () => {
    const path = join(dir, 'tuning.json');
    const store = fileTuningStore(path);
    const measured = await autotuneGemm(ctx, { store, shapes: [[64, 96, 32]], runs: 1 });
    expect(measured.source).toBe('measured');
    // Every candidate is timed, or dropped for being far behind; the default is never behind itself.
    expect([...Object.keys(measured.timings), ...(measured.dropped ?? [])].sort()).toEqual(Object.keys(GEMM_TILES).sort());
    expect(measured.timings['tiled-64x64']).toBeGreaterThan(0);
    expect(measured.choice).toBe(chooseCandidate(measured.timings, tuningPrior(ctx)));
    expect(tuningPrior(ctx)).toEqual(ctx.adapter.software ? SOFTWARE_PRIOR : HARDWARE_PRIOR);
    expect(gemmTiles(ctx.kernels, 256, 256, 256)).toEqual(resolveTiles(GEMM_TILES[measured.choice]!, 256, 256, 256));
    // Few rows keep the thin tiles whatever was chosen, on the chosen core's side of workgroup memory.
    expect(gemmTiles(ctx.kernels, 3, 4096, 64)).toBe(GEMM_TILES[measured.choice]!.core === 'untiled' ? UNTILED_THIN_TILES : THIN_TILES);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ [tuningKey(ctx)]: measured.choice });

    const again = await autotuneGemm(ctx, { store });
    expect(again).toEqual({ choice: measured.choice, source: 'cached', timings: {} });
  });

  test('the fastest candidate, unless a GPU’s prior or the winner’s fitted sibling is within 5% of it', () => {
    expect(chooseCandidate({ 'tiled-64x64': 100, 'tiled-fit': 80, 'untiled-64x64': 50, 'untiled-fit': 60 })).toBe('untiled-64x64');
    // untiled-64x64 is under 5% ahead of its fitted sibling: the sibling, which pads no outputs on the network.
    expect(chooseCandidate({ 'tiled-64x64': 100, 'tiled-fit': 80, 'untiled-64x64': 24.9, 'untiled-fit': 26.0 })).toBe('untiled-fit');
    expect(chooseCandidate({ 'tiled-64x64': 100, 'tiled-fit': 80, 'untiled-64x64': 30, 'untiled-fit': 26.0 })).toBe('untiled-fit');
    // Within 5% of the default: the default, whatever else is close.
    expect(chooseCandidate({ 'tiled-64x64': 100, 'tiled-fit': 97, 'untiled-fit': 99 })).toBe('tiled-64x64');
    // The default fastest stays, even with its fitted sibling close behind.
    expect(chooseCandidate({ 'tiled-64x64': 50, 'tiled-fit': 51, 'untiled-fit': 90 })).toBe('tiled-64x64');
    // A candidate without a fitted sibling, or whose sibling was dropped, wins on its own.
    expect(chooseCandidate({ 'tiled-64x64': 100, 'other-64x64': 60, 'tiled-fit': 62 })).toBe('other-64x64');
    expect(chooseCandidate({ 'tiled-64x64': 100, 'tiled-128x128': 60, 'tiled-fit': 62 })).toBe('tiled-fit');
    expect(chooseCandidate({ 'tiled-64x64': 100, 'untiled-64x64': 50 })).toBe('untiled-64x64');
    expect(() => chooseCandidate({})).toThrow(/no candidate/);
  });

  test('a CPU adapter’s prior is the fitted untiled core, which a candidate must beat by 25%; a GPU’s is untouched', () => {
    const on = (description: string, software: boolean) => ({ kernels: priorConfig({ description, software }) }) as unknown as GpuContext;
    expect(tuningPrior(on('llvmpipe (LLVM 15.0.6, 256 bits)', true))).toEqual(SOFTWARE_PRIOR);
    expect(tuningPrior(on('SwiftShader Device (Subzero)', true))).toEqual(SOFTWARE_PRIOR);
    expect(tuningPrior(on('NVIDIA H200', false))).toEqual(HARDWARE_PRIOR);
    // Timings of three tunings on lavapipe that chose a vec4 core under the tiled prior (bench/NOTES.md).
    const lavapipe: Array<Record<string, number>> = [
      { 'tiled-64x64': 35.2, 'tiled-128x128': 34.2, 'tiled-fit': 36.0, 'untiled-64x64': 38.3, 'untiled-fit': 33.8 },
      { 'tiled-64x64': 39.4, 'tiled-128x128': 47.2, 'tiled-fit': 44.4, 'untiled-64x64': 43.4, 'untiled-fit': 37.8 },
      { 'tiled-64x64': 40.6, 'tiled-128x128': 37.1, 'tiled-fit': 36.7, 'untiled-64x64': 44.9, 'untiled-fit': 38.9 },
    ];
    expect(lavapipe.map((t) => chooseCandidate(t, HARDWARE_PRIOR))).toEqual(['tiled-64x64', 'tiled-64x64', 'tiled-fit']);
    expect(lavapipe.map((t) => chooseCandidate(t, SOFTWARE_PRIOR))).toEqual(['untiled-fit', 'untiled-fit', 'untiled-fit']);
    // Beaten by more than 25%, it gives way; dropped or failed, it decides nothing.
    expect(chooseCandidate({ 'tiled-64x64': 29, 'tiled-fit': 31, 'untiled-fit': 40 }, SOFTWARE_PRIOR)).toBe('tiled-64x64');
    expect(chooseCandidate({ 'tiled-64x64': 31, 'untiled-fit': 40 }, SOFTWARE_PRIOR)).toBe('untiled-fit');
    expect(chooseCandidate({ 'tiled-64x64': 36, 'tiled-fit': 35 }, SOFTWARE_PRIOR)).toBe('tiled-fit');
    // The sibling rule still applies to a winner that displaced the prior.
    expect(chooseCandidate({ 'tiled-64x64': 29, 'tiled-fit': 29.5, 'untiled-fit': 40 }, SOFTWARE_PRIOR)).toBe('tiled-fit');
  });

  test('each adapter class starts from its priors: the tiled core and split-K on GPUs, the untiled core and window kernels on CPU adapters', () => {
    expect(adapterClass({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true })).toBe('lavapipe');
    expect(adapterClass({ description: 'SwiftShader Device (Subzero) (0x0000C0DE)', software: true })).toBe('swiftshader');
    expect(adapterClass({ description: 'Microsoft Basic Render Driver', software: true })).toBe('software');
    expect(adapterClass({ description: 'NVIDIA H200', software: false })).toBe('gpu');
    const brief = (cls: keyof typeof KERNEL_PRIORS) => {
      const p = KERNEL_PRIORS[cls];
      return [tilesName(p.tiles), p.reductions, p.splitK, p.windows.forward, p.windows.inputGrad].join(' ');
    };
    expect(brief('gpu')).toBe('tiled-64x64 tree true none none');
    expect(brief('lavapipe')).toBe('untiled-fit tree false dense dense');
    expect(brief('swiftshader')).toBe('untiled-fit serial false dense dense');
    expect(brief('software')).toBe('untiled-fit tree false dense dense');
    // A context starts from its class's priors.
    expect(ctx.kernels.adapterClass).toBe(adapterClass(ctx.adapter));
  });

  test('preferred tiles larger than the product give way to the default', () => {
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-128x128']! });
    expect(gemmTiles(ctx.kernels, 256, 784, 256)).toBe(GEMM_TILES['tiled-128x128']);
    expect(gemmTiles(ctx.kernels, 64, 3136, 576)).toBe(GEMM_TILES['tiled-64x64']); // layer1: 64 output channels
    expect(gemmTiles(ctx.kernels, 2048, 49, 512)).toBe(GEMM_TILES['tiled-64x64']); // layer4: 7x7 pixels
    expect(gemmTiles(ctx.kernels, 5, 49, 64)).toBe(THIN_TILES);
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-64x64']! });
  });

  test('fitted tiles: the fewest padded rows, columns and reduction steps, ties to the larger tile', () => {
    const fitted = (m: number, n: number, k: number) => {
      const t = fitTiles(m, n, k);
      return [t.tileM, t.tileN, t.tileK];
    };
    // ResNet50 at batch 1: layer3's 196 pixels, layer2's 784, layer4's 49, layer1's 3136; a weight gradient's
    // reduction over 49 or 196 pixels, and a forward's over 512 x 3 x 3; the stem's input-gradient columns (147
    // rows) and fc's weight gradient (1000 rows).
    expect(fitted(256, 196, 4608)).toEqual([64, 40, 16]);
    expect(fitted(128, 784, 1152)).toEqual([64, 56, 16]);
    expect(fitted(512, 49, 49)).toEqual([64, 56, 7]);
    expect(fitted(64, 3136, 196)).toEqual([64, 64, 14]);
    expect(fitted(147, 12544, 64)).toEqual([40, 64, 16]);
    expect(fitted(1000, 2048, 2)).toEqual([40, 64, 7]);
    expect(fitted(1, 1, 1)).toEqual([32, 32, 7]); // the smallest of each
    // The core's invariant (8x8 outputs per thread) holds.
    for (const [m, n] of [[9, 1], [147, 49], [2000, 100], [64, 196], [300, 785]] as const) {
      const t = fitTiles(m, n, 300);
      expect([t.tileM, t.tileN, t.fit]).toEqual([8 * t.threadsM, 8 * t.threadsN, undefined]);
    }
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-fit']! });
    expect(gemmTiles(ctx.kernels, 2048, 49, 512)).toEqual({ ...DEFAULT_TILES, tileN: 56, threadsN: 7 });
    expect(gemmTiles(ctx.kernels, 5, 49, 64)).toBe(THIN_TILES);
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-64x64']! });
  });

  test('the untiled core keeps to itself: its default, its fitted blocks and its thin tiles', () => {
    configureKernels(ctx, { tiles: GEMM_TILES['untiled-64x64']! });
    expect(gemmTiles(ctx.kernels, 256, 784, 256)).toBe(GEMM_TILES['untiled-64x64']);
    expect(gemmTiles(ctx.kernels, 5, 49, 64)).toBe(UNTILED_THIN_TILES);
    configureKernels(ctx, { tiles: GEMM_TILES['untiled-fit']! });
    // Fitted as the tiled core's tiles are, without TILE_K (the untiled core runs exactly K steps).
    expect(gemmTiles(ctx.kernels, 2048, 49, 512)).toEqual({ ...GEMM_TILES['untiled-64x64'], tileN: 56, threadsN: 7 });
    expect(gemmTiles(ctx.kernels, 5, 49, 64)).toBe(UNTILED_THIN_TILES);
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-64x64']! });
  });

  test('a forced choice applies without measuring; an unknown one is refused', async () => {
    expect(await autotuneGemm(ctx, { force: 'untiled-64x64' })).toEqual({ choice: 'untiled-64x64', source: 'forced', timings: {} });
    expect(gemmTiles(ctx.kernels, 256, 256, 256)).toBe(GEMM_TILES['untiled-64x64']);
    await expect(autotuneGemm(ctx, { force: 'vec4-1x1' })).rejects.toThrow(/unknown GEMM tiles "vec4-1x1"/);
    configureKernels(ctx, { tiles: GEMM_TILES['tiled-64x64']! });
  });

  test('a stored value that is not a candidate (an older version, a hand edit) is measured again', async () => {
    const values = new Map<string, string>([[tuningKey(ctx), 'vec4-1x1']]);
    const store = { get: async (k: string) => values.get(k), set: async (k: string, v: string) => void values.set(k, v) };
    const t = await autotuneGemm(ctx, { store, shapes: [[64, 96, 32]], runs: 1 });
    expect(t.source).toBe('measured');
    expect(values.get(tuningKey(ctx))).toBe(t.choice);
  });
});

describe('run timing (the tuners\' clock), on a simulated adapter', () => {
  // An adapter whose every wait costs `fixedMs` (the submit and the round trip) and whose every run costs `runMs`
  // of GPU time; performance.now() follows it exactly, so the test is independent of this machine's load.
  function simulatedAdapter(fixedMs: (wait: number) => number, runMs: number) {
    let now = 0;
    let pending = 0;
    let live = 0;
    let mostLive = 0;
    let waits = 0;
    const clock = {
      sync: async () => {
        now += fixedMs(waits++) + pending * runMs;
        pending = 0;
      },
    };
    const run = () => {
      pending++;
      mostLive = Math.max(mostLive, ++live);
      return { release: () => void live-- } as unknown as Tensor;
    };
    const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
    return { clock, run, restore: () => spy.mockRestore(), mostLive: () => mostLive };
  }

  test('a GPU-short run is timed in batches, and the fixed cost of each wait is taken off', async () => {
    // The H200's tuning put 0.4 ms of wall clock on a product whose kernel takes about 0.03 ms.
    const gpu = simulatedAdapter(() => 0.4, 0.03);
    try {
      const ms = await fastestRun(gpu.clock, 3, gpu.run);
      expect(ms).toBeCloseTo(0.03, 6);
      // Each run's output is released before the next run is made (the pool hands the same buffer back).
      expect(gpu.mostLive()).toBe(1);
    } finally {
      gpu.restore();
    }
  });

  test('a run of milliseconds (the CPU adapters) is one run per wait, the fastest of them', async () => {
    // A busy neighbour slows the first two waits: the fastest run is the one that measures the candidate.
    const cpu = simulatedAdapter((wait) => (wait < 2 ? 9 : 0.2), 7);
    try {
      expect(await fastestRun(cpu.clock, 3, cpu.run)).toBeCloseTo(7.2, 6);
    } finally {
      cpu.restore();
    }
  });

  test('when noise leaves the batch no slower than the single run, the batch mean is the estimate', async () => {
    // The single runs' waits cost 1 ms, the batch's 0.1 ms: a slope would be negative.
    const noisy = simulatedAdapter((wait) => (wait < 2 ? 1 : 0.1), 0.001);
    try {
      // Single runs 1.001 ms; a batch of 10 takes 0.11 ms, 0.011 ms a run.
      expect(await fastestRun(noisy.clock, 2, noisy.run)).toBeCloseTo(0.011, 6);
    } finally {
      noisy.restore();
    }
  });

  test('reports keep three decimals below a millisecond, so GPU timings do not all read 0.0 ms', () => {
    expect(formatRunMs(0.0312)).toBe('0.031 ms');
    expect(formatRunMs(22.44)).toBe('22.4 ms');
  });
});
