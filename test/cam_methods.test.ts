// The CAM method family (src/cam/method.ts's CAM_METHODS through Wgcam.explain and `wgcam cam --method`) against
// pytorch-grad-cam's own outputs (test/fixtures/methods-*.safetensors; definitions and tolerances in
// test/fixtures/README.md): every registered method whose key a fixture holds, at the fixture's layers and targets.
// Maps: max absolute error under 2e-3; the eigen ones (whose sign LAPACK picks) against either orientation;
// overlays within one step (the README's LUT-boundary allowance).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { camMethodNames } from '../src/cam/method.ts';
import { WgcamError } from '../src/errors.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type ExplainResult, type HostTensor } from '../src/session.ts';
import { Fixture, maxAbs } from './helpers/fixtures.ts';

let session: Wgcam;

beforeAll(async () => {
  session = Wgcam.fromContext(await createNodeGpuContext(), syntheticResNet50());
}, 600_000);

afterAll(() => session?.destroy());

function input(fx: Fixture): HostTensor {
  return { shape: fx.shape('input'), data: fx.f32('input') };
}

/** The map's error against the fixture key, or against the better of `.map` and `.map_neg` for eigen keys. */
function mapError(fx: Fixture, key: string, got: Float32Array): number {
  const direct = maxAbs(got, fx.f32(key));
  return fx.has(`${key}_neg`) ? Math.min(direct, maxAbs(got, fx.f32(`${key}_neg`))) : direct;
}

/** Registered methods that `fx` has a map for, and all of them run in one call. */
function methodsIn(fx: Fixture): string[] {
  return camMethodNames().filter((m) => fx.has(`method.${m}.map`));
}

function checkMaps(fx: Fixture, result: ExplainResult, suffix: '' | '.eigen_smooth'): number {
  let checked = 0;
  for (const [name, r] of result.methods) {
    const key = `method.${name}${suffix}.map`;
    if (!fx.has(key)) continue;
    expect(r.map.shape, key).toEqual(fx.shape(key));
    expect(mapError(fx, key, r.map.data), key).toBeLessThan(2e-3);
    checked++;
  }
  return checked;
}

for (const name of ['methods-chelsea', 'methods-odd-batch2']) {
  describe(name, () => {
    const fx = new Fixture(name);
    const layers = JSON.parse(fx.metadata.layers!) as string[];
    const targets = fx.i64('targets');

    test('every registered method meets the fixture (one forward and backward for all)', async () => {
      const methods = methodsIn(fx);
      expect(methods).toContain('gradcam');
      const r = await session.explain(input(fx), { methods, layers, targets });
      expect(r.targets).toEqual(targets);
      expect([...r.methods.keys()]).toEqual(methods);
      expect(checkMaps(fx, r, '')).toBe(methods.length);
    }, 600_000);

    test('the top class is the fixture target for image 0', async () => {
      const r = await session.explain(input(fx), { layers });
      expect(r.targets[0]).toBe(targets[0]);
      const got = r.methods.get('gradcam')!.map.data;
      const per = got.length / targets.length;
      expect(maxAbs(got.subarray(0, per), fx.f32('method.gradcam.map').subarray(0, per))).toBeLessThan(2e-3);
    }, 600_000);
  });
}

test('explain rejects an unknown method with one coded error, before any work', async () => {
  const fx = new Fixture('methods-odd-batch2');
  await expect(session.explain(input(fx), { methods: ['gradcam', 'nosuchcam'] })).rejects.toSatisfy(
    (e) => e instanceof WgcamError && e.code === 'UNKNOWN_METHOD' && /nosuchcam/.test(e.message),
  );
});
