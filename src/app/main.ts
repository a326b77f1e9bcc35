// The Grad-CAM explorer: pick weights and an image, see the top-5 classes and the Grad-CAM of any class at
// any layer. Everything numeric is the shared core's (`Wgcam` in src/session.ts); the app is DOM and
// orchestration only. This file starts the page and exposes the test hook; the rest is by concern:
//   state.ts (the app state and the job queue), weights.ts (weights, GPU session, device loss), image.ts
//   (samples, files, camera), explain.ts (the job), results.ts (what the results show), controls.ts,
//   downloads.ts, url_state.ts (the view in the URL), progress.ts (the progress box over the overlay).
import type { GemmOperands } from '../kernels/gemm/tiles.ts';
import { buildControls } from './controls.ts';
import { wireDownloads } from './downloads.ts';
import { runLevel } from './explain.ts';
import { SAMPLES, buildSamples, useSample, wireCamera, wireImageInputs } from './image.ts';
import { Readout, showPrecomputed, type Precomputed } from './results.ts';
import { createAppState, setPhase, type AppState, type Phase } from './state.ts';
import type { TimingReport } from './timings.ts';
import { $, shownErrors, showError, type Topic } from './ui.ts';
import { readUrl } from './url_state.ts';
import { handleRunError, refreshCachedNote, setWeightsButtonsDisabled, showNoWebGpu, startWeights, wirePrecision, wireWeights } from './weights.ts';

// Made by scripts/app/precompute_sample.mjs from the CLI's output; the page works without them.
const PRECOMPUTED = {
  sample: 'chelsea',
  meta: new URL('./samples/precomputed/chelsea.json', import.meta.url).href,
  overlay: new URL('./samples/precomputed/chelsea.png', import.meta.url).href,
};

// ---- test hook ----------------------------------------------------------------------------------------

export interface AppSnapshot {
  phase: Phase;
  webgpu: boolean;
  weights: string | null;
  adapter: string | null;
  software: boolean | null;
  hasTimestamps: boolean | null;
  /** The session's GEMM operands. */
  precision: GemmOperands | null;
  image: string | null;
  /** The sample's id, when the image is one. */
  sample: string | null;
  top5: Array<{ index: number; label: string; probability: number }>;
  target: number | null;
  nextTarget: number | null;
  layer: string;
  method: string;
  colormap: string;
  alpha: number;
  view: 'crop' | 'full';
  camGeneration: number;
  /** Navigation to the first computed heatmap, in ms (null until there is one). */
  firstCamMs: number | null;
  /** The last session's kernel tuning: its time, and whether an image waited for it. */
  tuning: { ms: number; imageWaited: boolean } | null;
  /** Jobs that ran the network (a new image, class, layer or method). */
  networkRuns: number;
  /** A pre-computed result is on show. */
  precomputed: boolean;
  /** What the progress box over the overlay says, or null when it is hidden. */
  progress: string | null;
  cam: { target: number; layer: string; width: number; height: number } | null;
  errors: Array<{ topic: Topic; code: string; message: string }>;
  timings: TimingReport | null;
}

function snapshot(app: AppState): AppSnapshot {
  const ctx = app.session?.ctx;
  return {
    phase: app.phase,
    webgpu: app.gpu !== null,
    weights: app.weights?.kind ?? null,
    adapter: ctx?.adapter.description ?? null,
    software: ctx?.adapter.software ?? null,
    hasTimestamps: ctx?.hasTimestamps ?? null,
    precision: app.session?.precision ?? null,
    image: app.image?.name ?? null,
    sample: app.image?.sample ?? null,
    top5: (app.classification?.top ?? []).map((p) => ({ index: p.index, label: p.label, probability: p.probability })),
    target: app.target,
    nextTarget: app.nextTarget,
    layer: app.layer,
    method: app.method,
    colormap: app.colormap,
    alpha: app.alpha,
    view: app.view,
    camGeneration: app.camGeneration,
    firstCamMs: app.firstCamMs,
    tuning: app.tuning,
    networkRuns: app.networkRuns,
    precomputed: app.precomputed !== null,
    progress: app.progress.shown,
    cam: app.cam ? { target: app.cam.target, layer: app.cam.layer, width: app.cam.width, height: app.cam.height } : null,
    errors: shownErrors(),
    timings: app.lastReport,
  };
}

declare global {
  interface Window {
    __wgcam?: {
      ready: Promise<AppSnapshot>;
      idle: () => Promise<AppSnapshot>;
      state: () => AppSnapshot;
      /** Destroy the current GPUDevice, as a driver reset would (tests of the recovery path). */
      loseDevice: () => boolean;
      /** The CAM map [H*W] of the current result, for tests (the overlay is read from its canvas). */
      camMap: () => number[] | null;
    };
  }
}

// ---- start --------------------------------------------------------------------------------------------

/** The pre-computed example, shown at once (before any weights or GPU) until the page has a result of its own. */
async function loadPrecomputed(app: AppState): Promise<void> {
  try {
    const sample = SAMPLES.find((s) => s.id === PRECOMPUTED.sample)!;
    const meta = (await (await fetch(PRECOMPUTED.meta)).json()) as Precomputed;
    if (meta.image !== sample.id || !Array.isArray(meta.top5)) throw new Error(`${PRECOMPUTED.meta} is not the pre-computed result of ${sample.id}`);
    const [overlay, picture] = await Promise.all(
      [PRECOMPUTED.overlay, sample.url].map(async (url) => createImageBitmap(await (await fetch(url)).blob(), { colorSpaceConversion: 'none' })),
    );
    showPrecomputed(app, meta, overlay!, picture!);
  } catch (e) {
    console.warn('[wgcam] the pre-computed example did not load', e);
  }
}

async function start(app: AppState): Promise<AppSnapshot> {
  app.queue.runner = { run: (level) => runLevel(app, level), failed: (e, session) => handleRunError(app, e, session) };
  buildSamples(app);
  const sample = readUrl(app, SAMPLES.map((s) => s.id));
  buildControls(app);
  wireImageInputs(app);
  wireWeights(app);
  wirePrecision(app);
  wireCamera(app);
  wireDownloads(app);
  const readout = new Readout(app);
  readout.wire($<HTMLCanvasElement>('original'));
  readout.wire($<HTMLCanvasElement>('overlay'));

  // The default sample's pre-computed result, when the URL asks for it or for no image (a first visit).
  const shownFirst = sample === null || sample === PRECOMPUTED.sample ? loadPrecomputed(app) : Promise.resolve();
  // The URL's sample is drawn at once, and explained once there is a session.
  const opened = sample ? useSample(app, SAMPLES.find((s) => s.id === sample)!) : Promise.resolve();

  app.gpu = typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu ? navigator.gpu : null;
  if (!app.gpu) {
    showNoWebGpu();
    setWeightsButtonsDisabled(true);
    await Promise.all([shownFirst, opened]);
    setPhase(app, 'idle');
    return snapshot(app);
  }
  $('adapter').textContent = 'WebGPU is available; the GPU starts once weights are chosen.';
  await refreshCachedNote();
  await Promise.all([shownFirst, opened, startWeights(app)]);
  await app.queue.idle();
  if (app.phase !== 'busy') setPhase(app, 'idle');
  return snapshot(app);
}

const app = createAppState();
const ready = start(app).catch((e) => {
  showError('run', 'The page failed to start', e);
  return snapshot(app);
});

window.__wgcam = {
  ready,
  idle: async () => {
    await ready;
    await app.queue.idle();
    return snapshot(app);
  },
  state: () => snapshot(app),
  loseDevice: () => {
    const s = app.session;
    if (!s) return false;
    s.ctx.device.destroy();
    return true;
  },
  camMap: () => (app.cam ? Array.from(app.cam.map) : null),
};
