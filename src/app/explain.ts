// The explanation job: prepare the image, run Grad-CAM (one forward and one backward pass, which also give the
// top-5), or only redraw the overlay; the progress over the overlay names each step as it runs.
import { COLORMAPS } from '../cam/colormaps.ts';
import { renderOverlay } from '../cam/gradcam.ts';
import { camResizeBilinear } from '../kernels/cam/cam_resize_bilinear.ts';
import { cropOffset, preprocessImages, resizedSize } from '../image/preprocess.ts';
import { softmax } from '../kernels/reduce/softmax.ts';
import { NUM_CLASSES } from '../model/architecture.ts';
import { IMAGENET_LABELS, readHost, topK, type HostTensor } from '../session.ts';
import { drawOverlay, renderTimings, renderTop5, showCam } from './results.ts';
import { METHODS, releasePrepared, type AppState, type CamShown, type FullOverlay, type Level } from './state.ts';
import { markGridStale, runMethodGrid } from './method_grid.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { cpuReport, summariseGpu, type Stage, type StageRow, type TaggedTiming } from './timings.ts';
import { $, drawRgb, setStatus } from './ui.ts';

/** The steps the progress display names, by the tracker's stage (the CAM kernels run with the backward pass). */
const STEP_NAMES: Record<Stage, string> = {
  preprocess: 'preparing the image',
  forward: 'forward pass',
  // The backward is queued right behind the forward (its seed is made on the GPU), so while this step waits the GPU
  // runs both.
  backward: 'forward and backward passes, and the CAM',
  cam: 'forward and backward passes, and the CAM',
  classify: 'top-5',
  overlay: 'redrawing the overlay',
};

function softwareNote(app: AppState): string {
  return app.session?.ctx.adapter.software ? ' (software adapter: this can take a minute)' : '';
}

export async function runLevel(app: AppState, level: Level): Promise<void> {
  const session = app.session;
  const image = app.image;
  if (!session || !image) return;
  const tracker = app.tracker!;
  const ctx = session.ctx;
  const profiling = ctx.profilingEnabled;
  const tagged: TaggedTiming[] = [];
  const cpu: StageRow[] = [];
  const collect = async () => {
    if (profiling) tagged.push(...tracker.tag(await ctx.collectTimings()));
  };

  if (level === 1 && !(app.cam && app.cam.target === app.target && app.cam.layer === app.layer && app.cam.method === app.method)) level = 2;
  if (level === 2 && app.classification?.serial !== image.serial) level = 3;
  const prepare = !app.prepared || app.prepared.session !== session || app.prepared.serial !== image.serial;

  // The steps of this job, in order, for the progress display.
  const full = app.view === 'full';
  const stages: Stage[] = [
    ...(prepare ? (['preprocess'] as const) : []),
    ...(level >= 2 ? (['forward', 'backward'] as const) : []),
    ...(level === 3 ? (['classify'] as const) : []),
    ...(level === 1 || full ? (['overlay'] as const) : []),
  ];
  const kind = `${level}${prepare ? 'p' : ''}`;
  const started = performance.now();
  app.progress.start(stages.length, app.jobDurations.get(kind) ?? null);
  // The tracker reports stage changes (count 0) and each pipeline compiled (count >= 1); a step counts its own.
  let step = 0;
  let compiled = 0;
  tracker.onActivity = (stage, count) => {
    const index = stages.indexOf(stage === 'cam' ? 'backward' : stage) + 1;
    if (index !== step) {
      step = index;
      compiled = 0;
      app.progress.step(index, STEP_NAMES[stage]);
    }
    if (count > 0) app.progress.detail(`compiling ${++compiled} new GPU kernel${compiled === 1 ? '' : 's'} (once per page), then running`);
  };
  try {
    // The input: resized, cropped and normalised on the GPU, kept while the image and session stay.
    if (prepare) {
      releasePrepared(app);
      setStatus('Preparing the image…', performance.now());
      tracker.begin('preprocess');
      const t0 = performance.now();
      const { input, crops } = await preprocessImages(ctx, [image.decoded]);
      const crop = crops[0]!;
      app.prepared = { input, crop, session, serial: image.serial };
      drawRgb($<HTMLCanvasElement>('original'), crop.data, crop.width, crop.height);
      $('original-caption').textContent = `Input as the network sees it (${crop.width} × ${crop.height} centre crop)`;
      await collect();
      cpu.push({ stage: 'Preprocess (resize, crop, normalise)', ms: performance.now() - t0 });
    }
    const { input, crop } = app.prepared!;

    if (level >= 2) {
      // One forward + backward gives both the classes and the CAM: a new image explains its top-1 class ('top')
      // or the class asked for before it came, and the logits it returns give the top-5 (softmax on the GPU).
      const fresh = level === 3;
      const layer = app.layer;
      const method = app.method;
      const asked = fresh ? app.nextTarget : app.target;
      app.networkRuns++;
      setStatus(
        fresh && asked === null
          ? `Classifying ${image.name} and computing the ${methodTitle(method)} of its top class at ${layer}${softwareNote(app)}…`
          : `Computing the ${methodTitle(method)} of “${IMAGENET_LABELS[asked!]}” at ${layer}${fresh ? ` and classifying ${image.name}` : ''}${softwareNote(app)}…`,
        performance.now(),
      );
      tracker.begin('forward');
      const result = await runMethod(app, input, crop.data, method, layer, asked);
      const waited = session.lastJob?.waitedOnTuning ?? false;
      if (app.tuning === null) app.tuning = { firstJobWaited: waited, laterJobsWaited: 0 };
      else if (waited) app.tuning.laterJobsWaited++;
      await collect();
      // The backward is queued behind the forward, so the logits' arrival marks both passes' GPU work, mostly.
      cpu.push({ stage: `${methodTitle(method)}: forward, backward queued behind it (wall clock, until the logits are back)`, ms: result.forwardMs });
      cpu.push({ stage: 'The rest: CAM and read-back (wall clock)', ms: result.totalMs - result.forwardMs });
      const target = result.targets[0]!;
      if (fresh) {
        const t0 = performance.now();
        tracker.set('classify');
        const logits = ctx.upload(result.logits.data, result.logits.shape, 'f32', 'logits');
        const probs = softmax(ctx, logits);
        let probabilities: HostTensor;
        try {
          probabilities = await readHost(probs);
        } finally {
          logits.release();
          probs.release();
        }
        await collect();
        cpu.push({ stage: 'Softmax and top-5 (wall clock)', ms: performance.now() - t0 });
        app.classification = { serial: image.serial, top: topK(result.logits, probabilities, 5)[0]!, probabilities: probabilities.data.slice(0, NUM_CLASSES) };
        app.target = target;
        if (app.nextTarget === asked) app.nextTarget = null; // used: the next image explains its own top class
        renderTop5(app);
        if (app.nextTarget !== null) {
          // A class typed while this image was being classified: explain it next.
          app.target = app.nextTarget;
          app.nextTarget = null;
          app.queue.schedule(2);
        }
      }
      const [, , height, width] = input.shape as [number, number, number, number];
      const raw = result.raw;
      app.cam = {
        target,
        layer,
        method,
        colormap: app.colormap,
        alpha: app.alpha,
        map: result.map.slice(0, height * width),
        raw: raw ? { shape: raw.shape.slice(-2), data: raw.data } : null,
        overlay: result.overlay,
        width,
        height,
        full: null,
      };
    } else if (level === 1) {
      // Same map, another colour map, opacity or view: only the overlay kernel runs again.
      const cam = app.cam!;
      setStatus('Redrawing the overlay…', performance.now());
      tracker.begin('overlay');
      const t0 = performance.now();
      if (cam.colormap !== app.colormap || cam.alpha !== app.alpha) {
        const mapTensor = ctx.upload(cam.map, [1, cam.height, cam.width], 'f32', 'cam map');
        try {
          cam.overlay = await renderOverlay(ctx, mapTensor, crop.data, COLORMAPS[app.colormap], app.alpha);
        } finally {
          mapTensor.release();
        }
        cam.colormap = app.colormap;
        cam.alpha = app.alpha;
        await collect();
        cpu.push({ stage: 'Overlay only (wall clock)', ms: performance.now() - t0 });
      }
    }
    if (full) {
      const t0 = performance.now();
      if (level >= 2) tracker.set('overlay');
      await makeFullOverlay(app, app.cam!);
      await collect();
      cpu.push({ stage: 'Overlay over the whole picture (wall clock)', ms: performance.now() - t0 });
    }
    // The method grid, when asked for: every method for this image, class and layer.
    markGridStale(app);
    if (app.grid.wanted && app.cam) await runMethodGrid(app, input, crop.data);
  } finally {
    tracker.onActivity = null;
    app.progress.end();
  }
  app.jobDurations.set(kind, performance.now() - started);

  showCam(app);
  app.lastReport = profiling
    ? summariseGpu(tagged, `GPU times from timestamp-query on ${ctx.adapter.description}${ctx.adapter.software ? ' (a software adapter: these say little about a real GPU)' : ''}.`)
    : cpuReport(cpu, 'CPU-side wall-clock times: this adapter has no timestamp-query, so GPU time per kernel is not available.');
  if (profiling) app.lastReport.stages.push(...cpu.map((r) => ({ stage: `${r.stage} [CPU]`, ms: r.ms })));
  renderTimings(app.lastReport);
}

export function methodTitle(method: string): string {
  return METHODS.find((m) => m.id === method)?.title.replace(/ \(.*\)$/, '') ?? method;
}

interface MethodRun {
  targets: number[];
  logits: HostTensor;
  /** [N, H, W] in [0, 1]. */
  map: Float32Array;
  overlay: Uint8Array;
  /** Grad-CAM's raw map at the layer (the downloads hold it), null for the other methods. */
  raw: { shape: number[]; data: Float32Array } | null;
  forwardMs: number;
  totalMs: number;
}

/**
 * One method at one layer for the current image: Grad-CAM through `Wgcam.gradcam` (which also gives the raw map),
 * every other method through `Wgcam.explain`; the methods that run a forward per channel count them in the
 * progress box.
 */
async function runMethod(app: AppState, input: Tensor, picture: Uint8Array, method: string, layer: string, asked: number | null): Promise<MethodRun> {
  const session = app.session!;
  const common = { layers: [layer], targets: asked === null ? ('top' as const) : [asked], pictures: [picture], colormap: app.colormap, alpha: app.alpha };
  if (method === 'gradcam') {
    const r = await session.gradcam(input, common);
    const raw = r.layers.get(layer)?.raw ?? null;
    return { targets: r.targets, logits: r.logits, map: r.map.data, overlay: r.overlay!, raw: raw ? { shape: raw.shape.slice(-2), data: raw.data } : null, forwardMs: r.forwardMs, totalMs: r.totalMs };
  }
  const r = await session.explain(input, {
    ...common,
    methods: [method],
    onProgress: (p) => app.progress.detail(`${methodTitle(p.method)}: ${p.done} of ${p.total} masked forwards`),
  });
  const m = r.methods.get(method)!;
  return { targets: r.targets, logits: r.logits, map: m.map.data, overlay: m.overlay!, raw: null, forwardMs: r.forwardMs, totalMs: r.totalMs };
}

/**
 * The overlay over the original picture: the CAM map (over the 224 px crop) resized on the GPU to the crop's
 * region of the picture (the region that resize-then-crop took), and the overlay kernel run over that region's
 * own pixels. Outside the region the network saw nothing, so there is no heat there.
 */
async function makeFullOverlay(app: AppState, cam: CamShown): Promise<void> {
  if (cam.full && cam.full.colormap === cam.colormap && cam.full.alpha === cam.alpha) return;
  const session = app.session!;
  const { decoded } = app.image!;
  const ctx = session.ctx;
  const resized = resizedSize(decoded.width, decoded.height, 256);
  const sx = decoded.width / resized.width;
  const sy = decoded.height / resized.height;
  const x = Math.round(cropOffset(resized.width, cam.width) * sx);
  const y = Math.round(cropOffset(resized.height, cam.height) * sy);
  const width = Math.min(decoded.width - x, Math.round(cam.width * sx));
  const height = Math.min(decoded.height - y, Math.round(cam.height * sy));
  const pixels = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * decoded.width + x) * 3;
    pixels.set(decoded.data.subarray(from, from + width * 3), row * width * 3);
  }
  const map = ctx.upload(cam.map, [1, cam.height, cam.width], 'f32', 'cam map');
  const scaled = camResizeBilinear(ctx, map, [height, width]);
  let overlay: Uint8Array;
  try {
    overlay = await renderOverlay(ctx, scaled, pixels, COLORMAPS[cam.colormap], cam.alpha);
  } finally {
    map.release();
    scaled.release();
  }
  const full: FullOverlay = { colormap: cam.colormap, alpha: cam.alpha, region: { x, y, width, height }, overlay };
  cam.full = full;
}

/** The view toggle: the overlay over the crop, or over the whole picture (made on the GPU the first time). */
export function setView(app: AppState, view: 'crop' | 'full'): void {
  app.view = view;
  if (!app.cam || app.precomputed) return;
  if (view === 'crop' || (app.cam.full && app.cam.full.colormap === app.cam.colormap && app.cam.full.alpha === app.cam.alpha)) drawOverlay(app);
  else app.queue.schedule(1);
}
