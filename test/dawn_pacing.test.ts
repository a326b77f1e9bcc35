// Pacing Dawn's busy-wait (src/node/dawn_pacing.ts): only the binding's native ticks are redirected, every other
// setImmediate call reaches Node's own, pacing lasts exactly as long as its holders, a context on a software
// adapter paces and a GPU's never does, and, through the real binding, a paced wait ticks about once a
// millisecond where a spinning one ticks tens of times.
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import type { GpuContext } from '../src/gpu/context.ts';
import { gemm } from '../src/kernels/gemm/gemm.ts';
import { GEMM_TILES } from '../src/kernels/gemm/tiles.ts';
import { dawnTicksPaced, describeDawnWait, isDawnTick, paceDawnTicks, pacesDawnTicks } from '../src/node/software/dawn_pacing.ts';
import { createNodeGpuContext, dawnWaitFromEnv } from '../src/node/gpu.ts';

const nodeSetImmediate = globalThis.setImmediate;
afterEach(() => {
  expect(globalThis.setImmediate, 'a test left setImmediate replaced').toBe(nodeSetImmediate);
});

describe('which callbacks are the binding’s ticks', () => {
  test('an anonymous native function of no parameters is one', () => {
    // Function.prototype is such a function, as Napi::Function::New makes them.
    expect(isDawnTick(Function.prototype)).toBe(true);
  });
  test('JavaScript functions, bound functions, promise resolvers and non-functions are not', () => {
    expect(isDawnTick(() => {})).toBe(false);
    expect(isDawnTick(function () {})).toBe(false);
    expect(isDawnTick((() => {}).bind(null))).toBe(false);
    let resolve: unknown;
    void new Promise((r) => (resolve = r));
    expect(isDawnTick(resolve)).toBe(false);
    expect(isDawnTick(Math.random)).toBe(false);
    expect(isDawnTick('function () { [native code] }')).toBe(false);
  });
});

describe('pacing', () => {
  test('lasts while any holder holds it, and each release counts once', () => {
    const first = paceDawnTicks();
    const second = paceDawnTicks();
    expect(dawnTicksPaced()).toBe(true);
    expect(globalThis.setImmediate).not.toBe(nodeSetImmediate);
    first();
    first();
    expect(dawnTicksPaced(), 'the second holder still holds it').toBe(true);
    second();
    expect(dawnTicksPaced()).toBe(false);
    expect(globalThis.setImmediate).toBe(nodeSetImmediate);
  });

  // Node's setImmediate returns an Immediate, setTimeout a Timeout: only a Timeout has refresh().
  test('other callbacks still run through Node’s setImmediate, with their arguments', async () => {
    const release = paceDawnTicks();
    try {
      const seen = await new Promise<string>((resolve) => {
        const handle = setImmediate((a: string, b: number) => resolve(`${a}${b}`), 'x', 1);
        expect('refresh' in handle, 'an Immediate, not a timer').toBe(false);
      });
      expect(seen).toBe('x1');
      // util.promisify reads setImmediate's own properties, which the paced function keeps.
      expect(await promisify(setImmediate)('value')).toBe('value');
    } finally {
      release();
    }
  });

  test('the binding’s ticks go through setTimeout instead', () => {
    const release = paceDawnTicks();
    try {
      // A stand-in tick: Function.prototype has the shape of the binding's.
      const handle = setImmediate(Function.prototype as () => void) as unknown as NodeJS.Timeout;
      expect(typeof handle.refresh, 'a Timeout').toBe('function');
      clearTimeout(handle);
    } finally {
      release();
    }
  });

  test('a software adapter paces by default, a GPU never does unless asked', () => {
    expect(pacesDawnTicks('auto', true)).toBe(true);
    expect(pacesDawnTicks('auto', false)).toBe(false);
    expect(pacesDawnTicks('spin', true)).toBe(false);
    expect(pacesDawnTicks('paced', false)).toBe(true);
  });

  test('WGCAM_DAWN_WAIT chooses, and anything else is refused in one line', () => {
    expect(dawnWaitFromEnv({})).toBe('auto');
    expect(dawnWaitFromEnv({ WGCAM_DAWN_WAIT: '' })).toBe('auto');
    expect(dawnWaitFromEnv({ WGCAM_DAWN_WAIT: 'spin' })).toBe('spin');
    expect(dawnWaitFromEnv({ WGCAM_DAWN_WAIT: 'paced' })).toBe('paced');
    expect(() => dawnWaitFromEnv({ WGCAM_DAWN_WAIT: 'sleep' })).toThrow(/^WGCAM_DAWN_WAIT=sleep is not a way to wait: use one of auto, spin, paced$/);
  });
});

describe('through the binding', () => {
  /** The binding's ticks per millisecond while a 512^3 GEMM (100 ms or more here) runs and is waited for. */
  async function tickRate(ctx: GpuContext): Promise<{ perMs: number; wallMs: number }> {
    const n = 512;
    const a = ctx.upload(new Float32Array(n * n).fill(1), [n, n], 'f32', 'A');
    const b = ctx.upload(new Float32Array(n * n).fill(1), [n, n], 'f32', 'B');
    const tiles = GEMM_TILES['untiled-fit']!;
    const compiled = gemm(ctx, a, b, tiles);
    expect((await ctx.read(compiled))[0]).toBe(n); // a sum of n ones: the product ran
    compiled.release();
    const installed = globalThis.setImmediate;
    let ticks = 0;
    globalThis.setImmediate = function (this: unknown, callback: () => void, ...args: unknown[]) {
      if (isDawnTick(callback)) ticks++;
      return Reflect.apply(installed, this, [callback, ...args]);
    } as typeof setImmediate;
    const start = performance.now();
    try {
      for (let i = 0; i < 3; i++) gemm(ctx, a, b, tiles).release();
      await ctx.sync();
    } finally {
      globalThis.setImmediate = installed;
    }
    const wallMs = performance.now() - start;
    a.release();
    b.release();
    return { perMs: ticks / wallMs, wallMs };
  }

  test('a context paces while it lives on a software adapter, and its waits tick about once a millisecond', async () => {
    const ctx = await createNodeGpuContext({ dawnWait: 'auto' });
    try {
      expect(dawnTicksPaced()).toBe(ctx.adapter.software);
      expect(describeDawnWait()).toMatch(ctx.adapter.software ? /^Dawn waits: paced/ : /^Dawn waits: spinning/);
      if (!ctx.adapter.software) return; // a GPU's waits spin, and are short
      const paced = await tickRate(ctx);
      // setTimeout(0) waits at least 1 ms: at most one tick a millisecond, and a few of slack.
      expect(paced.perMs * paced.wallMs).toBeLessThanOrEqual(paced.wallMs + 10);
    } finally {
      ctx.destroy();
    }
    expect(dawnTicksPaced(), 'destroy releases it').toBe(false);
  });

  test('told to spin, the binding ticks far more often (what pacing removes)', async () => {
    const ctx = await createNodeGpuContext({ dawnWait: 'spin' });
    try {
      expect(dawnTicksPaced()).toBe(false);
      const spinning = await tickRate(ctx);
      // Measured here: 70-95 ticks a millisecond on lavapipe; a GPU's short waits also spin.
      expect(spinning.perMs).toBeGreaterThan(5);
    } finally {
      ctx.destroy();
    }
  });
});
