// The CAM method family (src/cam/method.ts's CAM_METHODS through Wgcam.explain and `wgcam cam --method`) against
// pytorch-grad-cam's own outputs (test/fixtures/methods-*.safetensors; definitions and tolerances in
// test/fixtures/README.md): every registered method whose key a fixture holds, at the fixture's layers and targets.
// Maps: max absolute error under 2e-3; the eigen ones (whose sign LAPACK picks) against either orientation;
// overlays within one step (the README's LUT-boundary allowance).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { camMethodNames } from '../src/cam/method.ts';
import { WgcamError } from '../src/errors.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type ExplainResult, type HostTensor } from '../src/session.ts';
import { firstPrincipalComponent } from '../src/cam/eigen.ts';
import { readDump, wgcam } from './helpers/cli.ts';
import { Fixture, FIXTURES, maxAbs, overlayMismatch } from './helpers/fixtures.ts';
import { mulberry32, randn } from './reference/ops.ts';

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
      expect(methods).toEqual(expect.arrayContaining(['gradcam', 'hirescam', 'gradcamelementwise', 'gradcam++', 'xgradcam', 'layercam', 'eigencam', 'eigengradcam']));
      // The photo's fixture has an overlay (gradcam++, turbo, alpha 0.4); the others have no picture.
      const pictures = fx.has('image') ? [fx.u8('image')] : undefined;
      const r = await session.explain(input(fx), { methods, layers, targets, ...(pictures ? { pictures, colormap: 'turbo' as const, alpha: 0.4 } : {}) });
      expect(r.targets).toEqual(targets);
      expect([...r.methods.keys()]).toEqual(methods);
      expect(checkMaps(fx, r, '')).toBe(methods.length);
      for (const [m, { overlay }] of r.methods) {
        expect(overlay === null, m).toBe(!pictures);
        const key = `method.${m}.overlay`;
        if (!fx.has(key)) continue;
        const mismatch = overlayMismatch(overlay!, fx.u8(key));
        expect(mismatch.fractionOver1, key).toBeLessThan(0.005);
      }
      if (pictures) expect(fx.has('method.gradcam++.overlay')).toBe(true);
    }, 600_000);

    test('eigen_smooth: the first principal component of the weighted activations', async () => {
      const methods = camMethodNames().filter((m) => fx.has(`method.${m}.eigen_smooth.map`));
      expect(methods).toContain('gradcam');
      const r = await session.explain(input(fx), { methods, layers, targets, eigenSmooth: true });
      expect(checkMaps(fx, r, '.eigen_smooth')).toBe(methods.length);
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

/** Symmetric eigen-decomposition by cyclic Jacobi rotations, in float64: the top eigenvector of a [size x size]. */
function topEigenvector(a: Float64Array, size: number): Float64Array {
  const m = Float64Array.from(a);
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < size; p++) for (let q = p + 1; q < size; q++) off += m[p * size + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = m[p * size + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * size + q]! - m[p * size + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < size; k++) {
          const mkp = m[k * size + p]!;
          const mkq = m[k * size + q]!;
          m[k * size + p] = c * mkp - s * mkq;
          m[k * size + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < size; k++) {
          const mpk = m[p * size + k]!;
          const mqk = m[q * size + k]!;
          m[p * size + k] = c * mpk - s * mqk;
          m[q * size + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k * size + p]!;
          const vkq = v[k * size + q]!;
          v[k * size + p] = c * vkp - s * vkq;
          v[k * size + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < size; i++) if (m[i * size + i]! > m[best * size + best]!) best = i;
  return Float64Array.from({ length: size }, (_, k) => v[k * size + best]!);
}

/** get_2d_projection in float64: M (pixels x channels, centred) times its first right singular vector. */
function projectionReference(x: Float64Array, [n, c, h, w]: readonly number[]): Float64Array {
  const area = h! * w!;
  const out = new Float64Array(n! * area);
  for (let b = 0; b < n!; b++) {
    const m = new Float64Array(area * c!);
    for (let ch = 0; ch < c!; ch++) {
      let mean = 0;
      for (let i = 0; i < area; i++) mean += x[(b * c! + ch) * area + i]!;
      mean /= area;
      for (let i = 0; i < area; i++) m[i * c! + ch] = x[(b * c! + ch) * area + i]! - mean;
    }
    const gram = new Float64Array(c! * c!);
    for (let i = 0; i < area; i++) for (let p = 0; p < c!; p++) for (let q = 0; q < c!; q++) gram[p * c! + q] = gram[p * c! + q]! + m[i * c! + p]! * m[i * c! + q]!;
    const v1 = topEigenvector(gram, c!);
    for (let i = 0; i < area; i++) {
      let s = 0;
      for (let ch = 0; ch < c!; ch++) s += m[i * c! + ch]! * v1[ch]!;
      out[b * area + i] = s;
    }
  }
  return out;
}

describe('the first principal component against a float64 SVD', () => {
  // Channels fewer than pixels (the C x C Gram, as early layers have) and more (the pixel Gram, as layer4 has),
  // odd sizes, batch 2; a planted rank-one structure plus noise keeps the top singular value apart.
  for (const shape of [
    [2, 7, 9, 11],
    [2, 45, 5, 3],
    [1, 64, 16, 16],
  ] as const) {
    test(`[${shape.join(',')}]`, async () => {
      const [n, c, h, w] = shape;
      const rng = mulberry32(7 + c);
      const noise = randn(n * c * h * w, rng);
      const a = randn(n * c, rng);
      const b = randn(n * h * w, rng);
      const x = Float64Array.from(noise, (e, k) => {
        const img = Math.floor(k / (c * h * w));
        const ch = Math.floor(k / (h * w)) % c;
        return 0.3 * e + 2 * a[img * c + ch]! * b[img * h * w + (k % (h * w))]!;
      });
      const ctx = session.ctx;
      const t = ctx.upload(Float32Array.from(x), [...shape], 'f32', 'x');
      const p = firstPrincipalComponent(ctx, t);
      const got = await ctx.read(p);
      t.release();
      p.release();
      const want = projectionReference(x, shape);
      const area = h * w;
      for (let img = 0; img < n; img++) {
        const g = got.subarray(img * area, (img + 1) * area);
        const r = want.subarray(img * area, (img + 1) * area);
        const scale = Math.max(...Array.from(r, Math.abs));
        // Either sign matches the reference; wgcam's orientation (src/cam/eigen.ts): the first pixel negative
        // where LAPACK takes its LQ path (channels >= 11/6 pixels), else positive.
        const err = Math.min(maxAbs(g, r), maxAbs(g, r.map((e) => -e))) / scale;
        expect(err, `image ${img}`).toBeLessThan(1e-4);
        const lqPath = c >= Math.trunc((area * 11) / 6);
        expect(Math.sign(g[0]!), 'orientation').toBe(lqPath ? -1 : 1);
      }
    }, 120_000);
  }
});

// ---- through the command line ---------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'wgcam-methods-'));

// Every method the fixture holds (scorecam and ablationcam run 2048 forwards at layer4: test/cam_score_ablation.test.ts).
test('cam --method M,M,... --dump --out: every method of methods-chelsea, the turbo overlay, one PNG per method and the contact sheet', async () => {
  const fx = new Fixture('methods-chelsea');
  const out = join(dir, 'chelsea.safetensors');
  const folder = join(dir, 'sheet');
  const methods = camMethodNames().filter((m) => fx.has(`method.${m}.map`));
  const r = await wgcam('cam', '--weights', 'synthetic', '--tensor', `${FIXTURES}methods-chelsea.safetensors`, '--method', methods.join(','), '--colormap', 'turbo', '--alpha', '0.4', '--dump', out, '--out', folder);
  expect(r.code, r.stderr).toBe(0);
  const d = readDump(out);
  for (const m of methods) {
    const key = `method.${m}.map`;
    expect(d.keys, key).toContain(key);
    if (!fx.has(key)) continue;
    expect(d.shape(key)).toEqual(fx.shape(key));
    expect(mapError(fx, key, d.f32(key)), key).toBeLessThan(2e-3);
    expect(d.shape(`method.${m}.overlay`)).toEqual([1, 224, 224, 3]);
  }
  const mismatch = overlayMismatch(d.u8('method.gradcam++.overlay'), fx.u8('method.gradcam++.overlay'));
  expect(mismatch.fractionOver1).toBeLessThan(0.005);
  const files = readdirSync(folder).sort();
  expect(files).toEqual([...methods.map((m) => `methods-chelsea-${m.replace(/\+/g, 'p')}-cam.png`), 'methods-chelsea-methods.png'].sort());
  const sheet = readFileSync(join(folder, 'methods-chelsea-methods.png'));
  expect(sheet.subarray(1, 4).toString()).toBe('PNG');
  // The sheet holds the picture and one tile per method side by side: its width says how many.
  expect(sheet.readUInt32BE(16)).toBe((methods.length + 1) * 224 + (methods.length + 2) * 2);
}, 900_000);

test('cam --eigen-smooth --dump: methods-odd-batch2 at layer4 + layer3 with per-image targets', async () => {
  const fx = new Fixture('methods-odd-batch2');
  const out = join(dir, 'odd.safetensors');
  const targets = fx.i64('targets').join(',');
  const r = await wgcam('cam', '--weights', 'synthetic', '--tensor', `${FIXTURES}methods-odd-batch2.safetensors`, '--layer', 'layer4', '--layer', 'layer3', '--target', targets, '--method', 'gradcam', '--eigen-smooth', '--dump', out);
  expect(r.code, r.stderr).toBe(0);
  const d = readDump(out);
  const key = 'method.gradcam.eigen_smooth.map';
  expect(d.shape(key)).toEqual([2, 97, 81]);
  expect(mapError(fx, key, d.f32(key))).toBeLessThan(2e-3);
}, 900_000);

test('cam with an unknown method: one coded line and exit 1, before loading anything', async () => {
  const r = await wgcam('cam', '--weights', 'synthetic', '--tensor', `${FIXTURES}methods-odd-batch2.safetensors`, '--method', 'gradcam,gradcam--');
  expect(r.code).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('Warning: maxDynamic'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^wgcam: error \[UNKNOWN_METHOD\]: unknown CAM method "gradcam--": use one of gradcam, hirescam, .*, or all$/);
});
