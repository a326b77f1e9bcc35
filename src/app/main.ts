// The Grad-CAM explorer: pick weights and an image, see the top-5 classes and the Grad-CAM of any class at
// any layer. Everything numeric is the shared core's (`Wgcam` in src/session.ts); this file is DOM and
// orchestration only.
import { COLORMAPS, colormapNames, type ColormapName } from '../cam/colormaps.ts';
import { renderOverlay } from '../cam/gradcam.ts';
import { WgcamError } from '../errors.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { decodeImageBlob, rgbFromBitmap } from '../image/decode_browser.ts';
import type { RgbImage } from '../image/types.ts';
import { preprocessImages } from '../image/preprocess.ts';
import { modulePaths, STAGES, NUM_CLASSES } from '../model/architecture.ts';
import { softmax } from '../kernels/reduce/softmax.ts';
import { IMAGENET_LABELS, Wgcam, parsePrecision, readHost, topK, type HostTensor, type Prediction } from '../session.ts';
import type { GemmOperands } from '../kernels/gemm/tiles.ts';
import licencesText from './samples/LICENSES.md?raw';
import { encodeCamSafetensors, encodeNpyFloat32, saveBlob, saveBytes, stem } from './export.ts';
import { StageTracker, cpuReport, formatMs, summariseGpu, type TaggedTiming, type TimingReport, type StageRow } from './timings.ts';
import {
  $,
  h,
  clearAlert,
  clearCanvas,
  drawRgb,
  errorCode,
  formatBytes,
  percent,
  setStatus,
  showAlert,
  showError,
  shownErrors,
  type Topic,
} from './ui.ts';
import {
  browserHint,
  forgetPretrained,
  isPretrainedCached,
  loadFromFile,
  loadFromUrl,
  loadPretrained,
  loadSynthetic,
  localTuningStore,
  type LoadedWeights,
  type Progress,
} from './weights_cache.ts';

// ---- samples ------------------------------------------------------------------------------------------

// Literal `new URL(..., import.meta.url)` so that Vite copies each file into the build (hashed).
const SAMPLES = [
  { id: 'chelsea', file: 'chelsea.png', title: 'Chelsea the cat', url: new URL('./samples/chelsea.png', import.meta.url).href },
  { id: 'coffee', file: 'coffee.png', title: 'Coffee cup', url: new URL('./samples/coffee.png', import.meta.url).href },
  { id: 'astronaut', file: 'astronaut.png', title: 'Astronaut', url: new URL('./samples/astronaut.png', import.meta.url).href },
  { id: 'rocket', file: 'rocket.jpg', title: 'Rocket launch', url: new URL('./samples/rocket.jpg', import.meta.url).href },
];

// ---- state --------------------------------------------------------------------------------------------

interface CamShown {
  target: number;
  layer: string;
  colormap: ColormapName;
  alpha: number;
  /** [H, W] in [0, 1]. */
  map: Float32Array;
  raw: { shape: number[]; data: Float32Array } | null;
  overlay: Uint8Array;
  width: number;
  height: number;
}

const state = {
  gpu: null as GPU | null,
  weights: null as LoadedWeights | null,
  session: null as Wgcam | null,
  tracker: null as StageTracker | null,
  image: null as { name: string; decoded: RgbImage; serial: number } | null,
  imageSerial: 0,
  prepared: null as { input: Tensor; crop: RgbImage; session: Wgcam; serial: number } | null,
  classification: null as { serial: number; top: Prediction[]; probabilities: Float32Array } | null,
  target: null as number | null,
  layer: 'layer4',
  colormap: 'jet' as ColormapName,
  alpha: 0.5,
  cam: null as CamShown | null,
  camGeneration: 0,
  lastReport: null as TimingReport | null,
  phase: 'starting' as 'starting' | 'idle' | 'busy',
  weightsBusy: false,
  /** GEMM operands of the next session: `?precision=` (read in `wirePrecision`) or the f16 switch. */
  precision: 'f32' as GemmOperands,
};

// ---- job queue: the latest request wins, one job at a time ---------------------------------------------

/** 1: redraw the overlay (colour map, opacity); 2: recompute the CAM (class, layer); 3: a new image (classes and CAM). */
type Level = 0 | 1 | 2 | 3;
let pendingLevel: Level = 0;
let running: Promise<void> | null = null;
let idleWaiters: Array<() => void> = [];

function schedule(level: Exclude<Level, 0>): void {
  if (!state.session || !state.image) return;
  pendingLevel = Math.max(pendingLevel, level) as Level;
  running ??= pump();
}

async function pump(): Promise<void> {
  setPhase('busy');
  try {
    while (pendingLevel > 0) {
      const level = pendingLevel;
      pendingLevel = 0;
      const session = state.session;
      try {
        await runLevel(level);
        clearAlert('run');
      } catch (e) {
        await handleRunError(e, session);
      }
    }
  } finally {
    running = null;
    if (!state.weightsBusy) setPhase('idle');
    notifyIdle();
  }
}

function isIdle(): boolean {
  return !running && !state.weightsBusy;
}

function idle(): Promise<void> {
  if (isIdle()) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

function notifyIdle(): void {
  if (!isIdle()) return;
  const waiters = idleWaiters;
  idleWaiters = [];
  for (const w of waiters) w();
}

function setPhase(phase: typeof state.phase): void {
  state.phase = phase;
  document.body.dataset.state = phase;
  $('results').setAttribute('aria-busy', String(phase === 'busy'));
  if (phase === 'idle') setStatus(readyText());
}

function readyText(): string {
  if (!state.gpu) return 'WebGPU is unavailable: pictures can be viewed, not explained.';
  if (!state.weights) return 'Choose weights to start.';
  if (!state.session) return 'No GPU session: see the message above.';
  if (!state.image) return 'Ready: pick an image.';
  if (state.cam) return `Done: Grad-CAM of “${IMAGENET_LABELS[state.cam.target]}” at ${state.cam.layer}.`;
  return 'Ready.';
}

function softwareNote(): string {
  return state.session?.ctx.adapter.software ? ' (software adapter: this can take a minute)' : '';
}

async function runLevel(level: Level): Promise<void> {
  const session = state.session;
  const image = state.image;
  if (!session || !image) return;
  const tracker = state.tracker!;
  const ctx = session.ctx;
  const profiling = ctx.profilingEnabled;
  const tagged: TaggedTiming[] = [];
  const cpu: StageRow[] = [];
  const collect = async () => {
    if (profiling) tagged.push(...tracker.tag(await ctx.collectTimings()));
  };

  if (level === 1 && !(state.cam && state.cam.target === state.target && state.cam.layer === state.layer)) level = 2;
  if (level === 2 && state.classification?.serial !== image.serial) level = 3;

  // The input: resized, cropped and normalised on the GPU, kept while the image and session stay.
  if (!state.prepared || state.prepared.session !== session || state.prepared.serial !== image.serial) {
    releasePrepared();
    setStatus('Preparing the image…', performance.now());
    tracker.begin('preprocess');
    const t0 = performance.now();
    const { input, crops } = await preprocessImages(ctx, [image.decoded]);
    const crop = crops[0]!;
    state.prepared = { input, crop, session, serial: image.serial };
    drawRgb($<HTMLCanvasElement>('original'), crop.data, crop.width, crop.height);
    $('original-caption').textContent = `Input as the network sees it (${crop.width} × ${crop.height} centre crop)`;
    await collect();
    cpu.push({ stage: 'Preprocess (resize, crop, normalise)', ms: performance.now() - t0 });
  }
  const { input, crop } = state.prepared!;

  if (level >= 2) {
    // One forward + backward gives both the classes and the CAM: a new image explains its top-1 class
    // ('top'), and the logits it returns give the top-5 (softmax on the GPU, the core's kernel and topK).
    const fresh = level === 3;
    const layer = state.layer;
    setStatus(
      fresh
        ? `Classifying ${image.name} and computing the Grad-CAM of its top class at ${layer}${softwareNote()}…`
        : `Computing the Grad-CAM of “${IMAGENET_LABELS[state.target!]}” at ${layer}${softwareNote()}…`,
      performance.now(),
    );
    tracker.begin('forward');
    const result = await session.gradcam(input, {
      layers: [layer],
      targets: fresh ? 'top' : [state.target!],
      pictures: [crop.data],
      colormap: state.colormap,
      alpha: state.alpha,
    });
    await collect();
    cpu.push({ stage: 'Grad-CAM forward (wall clock, with read-back)', ms: result.forwardMs });
    cpu.push({ stage: 'Backward + CAM + read-back (wall clock)', ms: result.totalMs - result.forwardMs });
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
      state.classification = { serial: image.serial, top: topK(result.logits, probabilities, 5)[0]!, probabilities: probabilities.data.slice(0, NUM_CLASSES) };
      state.target = target;
      renderTop5();
    }
    const [, , height, width] = input.shape as [number, number, number, number];
    const raw = result.layers.get(layer)?.raw ?? null;
    state.cam = {
      target,
      layer,
      colormap: state.colormap,
      alpha: state.alpha,
      map: result.map.data.slice(0, height * width),
      raw: raw ? { shape: raw.shape.slice(-2), data: raw.data } : null,
      overlay: result.overlay!,
      width,
      height,
    };
  } else if (level === 1) {
    // Same map, another colour map or opacity: only the overlay kernel runs again.
    const cam = state.cam!;
    setStatus('Redrawing the overlay…', performance.now());
    tracker.begin('overlay');
    const t0 = performance.now();
    const mapTensor = ctx.upload(cam.map, [1, cam.height, cam.width], 'f32', 'cam map');
    try {
      cam.overlay = await renderOverlay(ctx, mapTensor, crop.data, COLORMAPS[state.colormap], state.alpha);
    } finally {
      mapTensor.release();
    }
    cam.colormap = state.colormap;
    cam.alpha = state.alpha;
    await collect();
    cpu.push({ stage: 'Overlay only (wall clock)', ms: performance.now() - t0 });
  }

  showCam();
  state.lastReport = profiling
    ? summariseGpu(tagged, `GPU times from timestamp-query on ${ctx.adapter.description}${ctx.adapter.software ? ' (a software adapter: these say little about a real GPU)' : ''}.`)
    : cpuReport(cpu, 'CPU-side wall-clock times: this adapter has no timestamp-query, so GPU time per kernel is not available.');
  if (profiling) state.lastReport.stages.push(...cpu.map((r) => ({ stage: `${r.stage} [CPU]`, ms: r.ms })));
  renderTimings(state.lastReport);
}

function releasePrepared(): void {
  const p = state.prepared;
  state.prepared = null;
  if (!p) return;
  try {
    if (!p.session.ctx.isLost) p.input.release();
  } catch {
    // the device went away with the buffer
  }
}

async function handleRunError(e: unknown, session: Wgcam | null): Promise<void> {
  if (session) {
    // A read-back can fail a moment before the device's lost promise settles: give it that moment.
    await Promise.race([session.ctx.lost, new Promise((r) => setTimeout(r, 250))]);
    if (session.ctx.isLost || errorCode(e) === 'DEVICE_LOST') {
      onDeviceLost(session, 'the device stopped answering during a run');
      return;
    }
  }
  showError('run', 'The computation failed', e, [{ label: 'Try again', run: () => schedule(3) }]);
}

// ---- weights and session ------------------------------------------------------------------------------

const progressRow = () => $('weights-progress-row');

const onProgress: Progress = (received, total, phase) => {
  progressRow().hidden = false;
  const bar = $<HTMLProgressElement>('weights-progress');
  const label = $('weights-progress-label');
  const text = $('weights-progress-text');
  if (phase === 'download') {
    label.textContent = 'Downloading the weights';
    if (total) {
      bar.max = total;
      bar.value = received;
      text.textContent = `${formatBytes(received)} of ${formatBytes(total)}`;
    } else {
      bar.removeAttribute('value'); // indeterminate
      text.textContent = formatBytes(received);
    }
  } else {
    label.textContent = phase === 'verify' ? 'Checking the SHA-256 checksum' : 'Reading the weights';
    bar.removeAttribute('value');
    text.textContent = formatBytes(received);
  }
};

function setWeightsButtonsDisabled(disabled: boolean): void {
  for (const id of ['weights-pretrained', 'weights-synthetic', 'weights-file']) ($(id) as HTMLButtonElement | HTMLInputElement).disabled = disabled;
}

/** Load weights from `source`, then (re)create the GPU session. Failures are shown; the old weights stay. */
async function chooseWeights(describe: string, source: () => Promise<LoadedWeights> | LoadedWeights): Promise<void> {
  if (state.weightsBusy) return;
  state.weightsBusy = true;
  setWeightsButtonsDisabled(true);
  setStatus(`${describe}…`, performance.now());
  try {
    const loaded = await source();
    clearAlert('weights');
    state.weights = loaded;
    renderWeights();
    await createSession();
  } catch (e) {
    const message = browserHint(e instanceof Error ? e.message : String(e));
    const actions = [
      { label: 'Use synthetic weights', run: () => void chooseWeights('Generating the synthetic weights', loadSynthetic) },
      { label: 'Choose a local file', run: () => $<HTMLInputElement>('weights-file').click() },
    ];
    showAlert('weights', errorCode(e), `Cannot use these weights: ${message}`, actions);
    console.error('[wgcam weights]', e);
  } finally {
    progressRow().hidden = true;
    state.weightsBusy = false;
    setWeightsButtonsDisabled(!state.gpu);
    void refreshCachedNote();
    if (!running) setPhase('idle');
    notifyIdle();
  }
}

function renderWeights(): void {
  const w = state.weights;
  $('weights-current').textContent = w ? `Using: ${w.description}.` : 'No weights loaded yet.';
  $('synthetic-banner').hidden = w?.kind !== 'synthetic';
}

async function refreshCachedNote(): Promise<void> {
  const cached = await isPretrainedCached();
  $('weights-forget').hidden = !cached;
  $('weights-pretrained').textContent = cached ? 'Load ImageNet weights (cached)' : 'Download ImageNet weights (about 100 MB)';
}

function retireSession(): void {
  const old = state.session;
  releasePrepared();
  state.session = null;
  state.tracker?.uninstall();
  state.tracker = null;
  if (old) {
    try {
      old.destroy();
    } catch {
      // already lost
    }
  }
}

/**
 * Start a GPU session for the current weights. `keepResults` (recovery after a lost device, same weights):
 * the classes found stay valid, and only the CAM of the chosen class is computed again.
 */
async function createSession(keepResults = false): Promise<void> {
  retireSession();
  if (!state.gpu) {
    showNoWebGpu();
    return;
  }
  const weights = state.weights;
  if (!weights) return;
  setStatus('Starting the GPU and uploading the weights…', performance.now());
  let session: Wgcam;
  try {
    // The GEMM tiles are chosen now, under their own status, so that the first image's timings are the model's
    // alone; localStorage keeps the choice for later visits.
    const tuningSince = performance.now();
    session = await Wgcam.create(state.gpu, weights.weights, { tuning: { store: localTuningStore }, precision: state.precision });
    setStatus('Choosing kernels for this adapter…', tuningSince);
    await session.tune();
  } catch (e) {
    if (errorCode(e) === 'NO_SHADER_F16') {
      // Asked for by the URL on an adapter without it: say so, and carry on in f32.
      state.precision = 'f32';
      showAlert('precision', 'NO_SHADER_F16', 'This adapter does not offer shader-f16, so f16 GEMM operands are not available here: running in f32.');
      return createSession(keepResults);
    }
    if (errorCode(e) === 'NO_ADAPTER') {
      showAlert(
        'gpu',
        'NO_ADAPTER',
        'This browser has WebGPU but found no GPU adapter (the GPU may be blocklisted or disabled). Try chrome://flags/#enable-unsafe-webgpu, update the graphics driver, or use another browser.',
      );
    } else {
      showError('gpu', 'Cannot start WebGPU', e, [{ label: 'Try again', run: () => void recover() }]);
    }
    return;
  }
  clearAlert('gpu');
  state.session = session;
  const ctx = session.ctx;
  if (ctx.hasTimestamps) ctx.setProfiling(true);
  state.tracker = new StageTracker(ctx);
  renderAdapter();
  void ctx.lost.then((info) => {
    if (state.session === session) onDeviceLost(session, info.message || info.reason || 'unknown reason');
  });
  if (keepResults && state.classification && state.target !== null) {
    schedule(2);
  } else {
    state.classification = null;
    state.cam = null;
    schedule(3);
  }
}

function onDeviceLost(session: Wgcam, why: string): void {
  // Only the current session matters (retired ones were destroyed on purpose), and only once.
  if (state.session !== session) return;
  state.prepared = null; // its buffers died with the device
  state.session = null;
  state.tracker = null;
  showAlert('gpu', 'DEVICE_LOST', `The GPU device was lost (${why}). Your weights are still in memory: recover to start a new device.`, [
    { label: 'Recover', run: () => void recover() },
  ]);
  // The shown CAM lives in CPU memory: its downloads keep working.
  if (!running) setStatus(readyText());
}

async function recover(): Promise<void> {
  clearAlert('gpu');
  await createSession(true);
  if (state.session && !running) setPhase('idle');
}

function renderAdapter(): void {
  const ctx = state.session?.ctx;
  if (!ctx) return;
  const a = ctx.adapter;
  const parts = [a.description || 'unknown adapter'];
  if (a.software) parts.push('software adapter: slow, timings say little about a GPU');
  parts.push(ctx.hasTimestamps ? 'timestamp-query: yes' : 'timestamp-query: no (CPU-side timings)');
  parts.push(`GEMM operands: ${state.session!.precision}`);
  $('adapter').textContent = `WebGPU adapter: ${parts.join(' · ')}`;
  const f16 = $<HTMLInputElement>('precision-f16');
  f16.checked = state.session!.precision === 'f16';
  f16.disabled = !ctx.hasF16;
  $('precision-hint').textContent = ctx.hasF16
    ? 'GEMM operands in f16, sums in f32: heatmaps as with f32, input gradients less exact (README)'
    : 'not available: this adapter has no shader-f16';
}

function showNoWebGpu(): void {
  showAlert(
    'gpu',
    'NO_WEBGPU',
    'This browser does not offer WebGPU, so nothing can be computed here. Use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), or in Chrome enable chrome://flags/#enable-unsafe-webgpu (on Linux also chrome://flags/#enable-vulkan) and restart it. Pictures can still be viewed.',
  );
  $('adapter').textContent = 'WebGPU: not available in this browser.';
}

// ---- images -------------------------------------------------------------------------------------------

async function useImage(source: Blob | RgbImage, name: string): Promise<void> {
  setStatus(`Reading ${name}…`, performance.now());
  let decoded: RgbImage;
  try {
    decoded = source instanceof Blob ? await decodeImageBlob(source, name) : source;
  } catch (e) {
    // The core's messages name the file and say what to do; anything else gets that context here.
    showError('image', e instanceof WgcamError ? 'Cannot use this image' : `Cannot read the image “${name}” (use a PNG or JPEG file)`, e);
    if (!running) setStatus(readyText());
    return;
  }
  clearAlert('image');
  releasePrepared();
  state.imageSerial++;
  state.image = { name, decoded, serial: state.imageSerial };
  state.classification = null;
  state.cam = null;
  state.target = null;
  $('image-name').textContent = `${name} (${decoded.width} × ${decoded.height})`;
  renderTop5();
  clearCanvas($<HTMLCanvasElement>('overlay'));
  setDownloadsEnabled(false);
  $('target').textContent = '';
  // The picture as it is, until its network-sized crop is ready (or for good, without a GPU).
  drawRgb($<HTMLCanvasElement>('original'), decoded.data, decoded.width, decoded.height);
  $('original-caption').textContent = `The picture (${decoded.width} × ${decoded.height}), before resizing and cropping`;
  // On a phone the results sit below the pickers: bring them into view.
  if (matchMedia('(max-width: 820px)').matches) $('results-heading').scrollIntoView({ behavior: 'smooth', block: 'start' });
  if (!state.session) {
    setStatus(readyText());
    return;
  }
  schedule(3);
}

async function useSample(sample: (typeof SAMPLES)[number]): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#samples button')) b.setAttribute('aria-pressed', String(b.dataset.sample === sample.id));
  try {
    const response = await fetch(sample.url);
    if (!response.ok) throw new WgcamError('SAMPLE_MISSING', `HTTP ${response.status} for ${sample.file}`);
    await useImage(await response.blob(), sample.file);
  } catch (e) {
    showError('image', `Cannot load the sample ${sample.file}`, e);
  }
}

function unpressSamples(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#samples button')) b.setAttribute('aria-pressed', 'false');
}

function useFile(file: File): void {
  if (/\.safetensors$/i.test(file.name)) {
    void chooseWeights(`Reading ${file.name}`, () => loadFromFile(file, onProgress));
    return;
  }
  unpressSamples();
  void useImage(file, file.name);
}

// ---- results ------------------------------------------------------------------------------------------

function renderTop5(): void {
  const list = $('top5');
  list.replaceChildren();
  const c = state.classification;
  if (!c) return;
  c.top.forEach((p, k) => {
    const pressed = p.index === state.target;
    const button = h(
      'button',
      { type: 'button', 'aria-pressed': String(pressed), 'data-index': p.index, 'aria-label': `${p.label}, class ${p.index}, ${percent(p.probability)}` },
      h('span', { className: 'bar', style: `width: ${Math.max(0.5, p.probability * 100).toFixed(2)}%` }),
      h('span', { className: 'rank', 'aria-hidden': 'true' }, `${k + 1}.`),
      h('span', { className: 'label', title: `${p.index}: ${p.label}`, 'aria-hidden': 'true' }, p.label),
      h('span', { className: 'numeric', 'aria-hidden': 'true' }, percent(p.probability)),
    );
    button.addEventListener('click', () => setTarget(p.index));
    list.append(h('li', {}, button));
  });
  renderTarget();
}

function renderTarget(): void {
  const c = state.classification;
  const t = state.target;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#top5 button')) b.setAttribute('aria-pressed', String(Number(b.dataset.index) === t));
  if (!c || t === null) {
    $('target').textContent = '';
    return;
  }
  const p = c.probabilities[t] ?? 0;
  let rank = 1;
  for (const q of c.probabilities) if (q > p) rank++;
  $('target').textContent = `Explaining class ${t}, “${IMAGENET_LABELS[t]}” (rank ${rank}, ${percent(p)}).`;
}

function setTarget(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= NUM_CLASSES) return;
  state.target = index;
  renderTarget();
  schedule(2);
}

function showCam(): void {
  const cam = state.cam;
  if (!cam) return;
  drawRgb($<HTMLCanvasElement>('overlay'), cam.overlay, cam.width, cam.height);
  $('overlay-caption').textContent = `Grad-CAM of “${IMAGENET_LABELS[cam.target]}” at ${cam.layer} (${cam.colormap}, opacity ${cam.alpha.toFixed(2)})`;
  drawColorbar(cam.colormap);
  state.camGeneration++;
  document.body.dataset.camGeneration = String(state.camGeneration);
  renderTarget();
  setDownloadsEnabled(true);
}

function setDownloadsEnabled(on: boolean): void {
  for (const id of ['download-png', 'download-npy', 'download-safetensors']) $<HTMLButtonElement>(id).disabled = !on;
}

function drawColorbar(name: ColormapName): void {
  const lut = COLORMAPS[name]; // [256, 3] uint8 RGB
  if (lut) drawRgb($<HTMLCanvasElement>('colorbar'), lut, 256, 1);
}

// ---- hover / keyboard readout -------------------------------------------------------------------------

let cursor: { x: number; y: number } | null = null;

function readoutAt(x: number, y: number): void {
  const cam = state.cam;
  const out = $('readout');
  if (!cam) {
    out.textContent = 'No CAM yet.';
    return;
  }
  x = Math.min(cam.width - 1, Math.max(0, x));
  y = Math.min(cam.height - 1, Math.max(0, y));
  cursor = { x, y };
  const v = cam.map[y * cam.width + x] ?? 0;
  out.textContent = `CAM ${v.toFixed(3)} at x ${x}, y ${y}`;
  for (const box of document.querySelectorAll<HTMLElement>('.canvas-box')) {
    const mark = box.querySelector<HTMLElement>('.crosshair')!;
    mark.hidden = false;
    mark.style.left = `${((x + 0.5) / cam.width) * 100}%`;
    mark.style.top = `${((y + 0.5) / cam.height) * 100}%`;
  }
}

function hideCrosshair(): void {
  for (const m of document.querySelectorAll<HTMLElement>('.crosshair')) m.hidden = true;
}

function wireReadout(canvas: HTMLCanvasElement): void {
  canvas.addEventListener('pointermove', (e) => {
    const cam = state.cam;
    if (!cam) return;
    const r = canvas.getBoundingClientRect();
    readoutAt(Math.floor(((e.clientX - r.left) / r.width) * cam.width), Math.floor(((e.clientY - r.top) / r.height) * cam.height));
  });
  canvas.addEventListener('pointerleave', hideCrosshair);
  canvas.addEventListener('blur', hideCrosshair);
  canvas.addEventListener('keydown', (e) => {
    const cam = state.cam;
    if (!cam) return;
    const step = e.shiftKey ? 16 : 4;
    const c = cursor ?? { x: cam.width >> 1, y: cam.height >> 1 };
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    readoutAt(c.x + m[0], c.y + m[1]);
    $('readout').setAttribute('aria-live', 'polite');
  });
  canvas.addEventListener('focus', () => {
    if (state.cam) readoutAt(cursor?.x ?? state.cam.width >> 1, cursor?.y ?? state.cam.height >> 1);
  });
}

// ---- timings ------------------------------------------------------------------------------------------

function renderTimings(report: TimingReport): void {
  $('timings-source').textContent = report.note;
  const stages = $('stages').querySelector('tbody')!;
  stages.replaceChildren(...report.stages.map((s) => h('tr', {}, h('td', {}, s.stage), h('td', { className: 'numeric' }, formatMs(s.ms)))));
  const kernels = $('kernels').querySelector('tbody')!;
  $('kernels-details').hidden = report.kernels.length === 0;
  kernels.replaceChildren(
    ...report.kernels.map((k) =>
      h('tr', {}, h('td', {}, k.label), h('td', {}, k.stage), h('td', { className: 'numeric' }, String(k.count)), h('td', { className: 'numeric' }, formatMs(k.ms))),
    ),
  );
}

// ---- downloads ----------------------------------------------------------------------------------------

function exportName(ext: string): string {
  const cam = state.cam!;
  return `${stem(state.image?.name ?? 'image')}-${cam.layer}-class${cam.target}.${ext}`;
}

function wireDownloads(): void {
  $('download-png').addEventListener('click', () => {
    if (!state.cam) return;
    $<HTMLCanvasElement>('overlay').toBlob((blob) => blob && saveBlob(blob, exportName('png')), 'image/png');
  });
  $('download-npy').addEventListener('click', () => {
    const cam = state.cam;
    if (!cam) return;
    saveBytes(encodeNpyFloat32(cam.map, [cam.height, cam.width]), exportName('npy'));
  });
  $('download-safetensors').addEventListener('click', () => {
    const cam = state.cam;
    if (!cam) return;
    const bytes = encodeCamSafetensors({
      layer: cam.layer,
      target: cam.target,
      label: IMAGENET_LABELS[cam.target] ?? '',
      weights: state.weights?.description ?? '',
      image: state.image?.name ?? '',
      map: cam.map,
      raw: cam.raw,
      overlay: cam.overlay,
      height: cam.height,
      width: cam.width,
    });
    saveBytes(bytes, exportName('safetensors'));
  });
}

// ---- controls -----------------------------------------------------------------------------------------

function buildLayerPicker(): void {
  const select = $<HTMLSelectElement>('layer');
  const spatial = modulePaths().filter((p) => p !== 'avgpool' && p !== 'fc');
  const stageNames: string[] = STAGES.map((s) => s.name);
  const group = (label: string, paths: string[]) => {
    const g = h('optgroup', { label });
    for (const p of paths) g.append(h('option', { value: p, selected: p === state.layer }, p));
    select.append(g);
  };
  group('Stages', stageNames);
  group('Stem', spatial.filter((p) => !p.startsWith('layer')));
  for (const s of stageNames) group(`Inside ${s}`, spatial.filter((p) => p.startsWith(`${s}.`)));
  select.value = state.layer;
  select.addEventListener('change', () => {
    state.layer = select.value;
    schedule(2);
  });
}

function buildColormapPicker(): void {
  const select = $<HTMLSelectElement>('colormap');
  for (const name of colormapNames) select.append(h('option', { value: name }, name));
  select.value = state.colormap;
  drawColorbar(state.colormap);
  select.addEventListener('change', () => {
    state.colormap = select.value as ColormapName;
    drawColorbar(state.colormap);
    schedule(1);
  });
}

function buildAlpha(): void {
  const input = $<HTMLInputElement>('alpha');
  const out = $('alpha-value');
  input.value = String(state.alpha);
  const show = () => (out.textContent = Number(input.value).toFixed(2));
  show();
  input.addEventListener('input', show);
  input.addEventListener('change', () => {
    state.alpha = Number(input.value);
    schedule(1);
  });
}

function classFromText(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  const lead = /^(\d{1,3})(?:\s*[:.\-]|\s*$)/.exec(t);
  if (lead) {
    const n = Number(lead[1]);
    return n < NUM_CLASSES ? n : null;
  }
  const lower = t.toLowerCase();
  const exact = IMAGENET_LABELS.findIndex((l) => l.toLowerCase() === lower || l.toLowerCase().split(', ').includes(lower));
  if (exact >= 0) return exact;
  const partial = IMAGENET_LABELS.map((l, i) => [l, i] as const).filter(([l]) => l.toLowerCase().includes(lower));
  return partial.length === 1 ? partial[0]![1] : partial.length > 1 ? partial[0]![1] : null;
}

function buildClassSearch(): void {
  const list = $('class-list');
  const frag = document.createDocumentFragment();
  IMAGENET_LABELS.forEach((label, i) => frag.append(h('option', { value: `${i}: ${label}` })));
  list.append(frag);
  const input = $<HTMLInputElement>('class-search');
  $('class-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const index = classFromText(input.value);
    if (index === null) {
      showAlert('run', 'UNKNOWN_CLASS', `No ImageNet class matches “${input.value}”: type part of a label (e.g. “tabby”) or an index from 0 to 999.`);
      return;
    }
    clearAlert('run');
    input.value = `${index}: ${IMAGENET_LABELS[index]}`;
    if (!state.classification) {
      state.target = index;
      showAlert('run', 'NO_IMAGE', 'Pick an image first; this class will be explained once it is classified.');
      return;
    }
    setTarget(index);
  });
}

function buildSamples(): void {
  const list = $('samples');
  for (const s of SAMPLES) {
    const b = h(
      'button',
      { type: 'button', 'data-sample': s.id, 'aria-pressed': 'false' },
      h('img', { src: s.url, alt: '', loading: 'lazy', width: 72, height: 72 }),
      h('span', {}, s.title),
    );
    b.addEventListener('click', () => void useSample(s));
    list.append(h('li', {}, b));
  }
}

function buildLicences(): void {
  const rows = licencesText
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    )
    .filter((cells) => !cells.every((c) => /^-+$/.test(c)));
  const intro = licencesText
    .split('\n')
    .find((l) => l.trim() && !l.startsWith('#') && !l.startsWith('|'));
  const [head, ...body] = rows;
  const table = h('table', {});
  if (head) table.append(h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))));
  table.append(h('tbody', {}, ...body.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
  $('licences').replaceChildren(...(intro ? [h('p', {}, intro.trim())] : []), table);
}

function wireImageInputs(): void {
  const file = $<HTMLInputElement>('image-file');
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) {
      unpressSamples();
      void useImage(f, f.name);
    }
    file.value = '';
  });
  const zone = $('dropzone');
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  });
  document.addEventListener('drop', (e) => {
    depth = 0;
    zone.classList.remove('dragging');
    const f = e.dataTransfer?.files?.[0];
    if (!f) return;
    e.preventDefault();
    useFile(f);
  });
  document.addEventListener('paste', (e) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (!f) return;
    e.preventDefault();
    unpressSamples();
    void useImage(f, f.name && f.name !== 'image.png' ? f.name : 'pasted image');
  });
}

function wirePrecision(): void {
  const asked = new URLSearchParams(location.search).get('precision');
  if (asked !== null) {
    try {
      state.precision = parsePrecision(asked);
    } catch {
      showAlert('precision', 'BAD_ARGUMENT', `?precision=${asked} is neither f32 nor f16: running in f32.`);
    }
  }
  const f16 = $<HTMLInputElement>('precision-f16');
  // A new session with the other operands; the picture shown is classified and explained again.
  f16.addEventListener('change', () => {
    state.precision = f16.checked ? 'f16' : 'f32';
    clearAlert('precision');
    void createSession();
  });
}

function wireWeights(): void {
  $('weights-pretrained').addEventListener('click', () => void chooseWeights('Loading the ImageNet weights', () => loadPretrained(onProgress)));
  $('weights-synthetic').addEventListener('click', () => void chooseWeights('Generating the synthetic weights', loadSynthetic));
  const file = $<HTMLInputElement>('weights-file');
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    file.value = '';
    if (f) void chooseWeights(`Reading ${f.name}`, () => loadFromFile(f, onProgress));
  });
  $('weights-forget').addEventListener('click', async () => {
    await forgetPretrained();
    await refreshCachedNote();
    setStatus('The cached weights were removed from this browser.');
  });
}

let stream: MediaStream | null = null;

function wireCamera(): void {
  const video = $<HTMLVideoElement>('camera-video');
  const start = $<HTMLButtonElement>('camera-start');
  const capture = $<HTMLButtonElement>('camera-capture');
  const stop = $<HTMLButtonElement>('camera-stop');
  const setRunning = (on: boolean) => {
    start.disabled = on;
    capture.disabled = !on;
    stop.disabled = !on;
  };
  start.addEventListener('click', async () => {
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new WgcamError('NO_CAMERA', 'this browser offers no camera access here (it needs https or localhost)');
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      video.srcObject = stream;
      await video.play();
      clearAlert('camera');
      setRunning(true);
    } catch (e) {
      showError('camera', 'Cannot start the camera', e);
    }
  });
  capture.addEventListener('click', async () => {
    if (!video.videoWidth) return;
    try {
      const frame = rgbFromBitmap(await createImageBitmap(video), true);
      unpressSamples();
      void useImage(frame, `camera frame ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      showError('camera', 'Cannot capture a frame', e);
    }
  });
  stop.addEventListener('click', () => {
    for (const t of stream?.getTracks() ?? []) t.stop();
    stream = null;
    video.srcObject = null;
    setRunning(false);
  });
}

// ---- test hook ----------------------------------------------------------------------------------------

export interface AppSnapshot {
  phase: typeof state.phase;
  webgpu: boolean;
  weights: string | null;
  adapter: string | null;
  software: boolean | null;
  hasTimestamps: boolean | null;
  /** The session's GEMM operands. */
  precision: GemmOperands | null;
  image: string | null;
  top5: Array<{ index: number; label: string; probability: number }>;
  target: number | null;
  layer: string;
  colormap: string;
  alpha: number;
  camGeneration: number;
  cam: { target: number; layer: string; width: number; height: number } | null;
  errors: Array<{ topic: Topic; code: string; message: string }>;
  timings: TimingReport | null;
}

function snapshot(): AppSnapshot {
  const ctx = state.session?.ctx;
  return {
    phase: state.phase,
    webgpu: state.gpu !== null,
    weights: state.weights?.kind ?? null,
    adapter: ctx?.adapter.description ?? null,
    software: ctx?.adapter.software ?? null,
    hasTimestamps: ctx?.hasTimestamps ?? null,
    precision: state.session?.precision ?? null,
    image: state.image?.name ?? null,
    top5: (state.classification?.top ?? []).map((p) => ({ index: p.index, label: p.label, probability: p.probability })),
    target: state.target,
    layer: state.layer,
    colormap: state.colormap,
    alpha: state.alpha,
    camGeneration: state.camGeneration,
    cam: state.cam ? { target: state.cam.target, layer: state.cam.layer, width: state.cam.width, height: state.cam.height } : null,
    errors: shownErrors(),
    timings: state.lastReport,
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

async function start(): Promise<AppSnapshot> {
  buildSamples();
  buildLicences();
  buildLayerPicker();
  buildColormapPicker();
  buildAlpha();
  buildClassSearch();
  wireImageInputs();
  wireWeights();
  wirePrecision();
  wireCamera();
  wireDownloads();
  wireReadout($<HTMLCanvasElement>('original'));
  wireReadout($<HTMLCanvasElement>('overlay'));

  state.gpu = typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu ? navigator.gpu : null;
  if (!state.gpu) {
    showNoWebGpu();
    setWeightsButtonsDisabled(true);
    setPhase('idle');
    return snapshot();
  }
  $('adapter').textContent = 'WebGPU is available; the GPU starts once weights are chosen.';
  await refreshCachedNote();

  const source = new URLSearchParams(location.search).get('weights');
  if (source === 'synthetic') {
    await chooseWeights('Generating the synthetic weights', loadSynthetic);
  } else if (source === 'pretrained' || (source === null && (await isPretrainedCached()))) {
    await chooseWeights('Loading the ImageNet weights', () => loadPretrained(onProgress));
  } else if (source) {
    await chooseWeights(`Downloading weights from ${source}`, () => loadFromUrl(source, onProgress));
  } else {
    setStatus('Choose weights to start: the ImageNet weights (downloaded once), a local file, or the synthetic test weights.');
    $('weights-pretrained').focus({ preventScroll: true });
  }
  await idle();
  if (state.phase !== 'busy') setPhase('idle');
  return snapshot();
}

const ready = start().catch((e) => {
  showError('run', 'The page failed to start', e);
  return snapshot();
});

window.__wgcam = {
  ready,
  idle: async () => {
    await ready;
    await idle();
    return snapshot();
  },
  state: snapshot,
  loseDevice: () => {
    const s = state.session;
    if (!s) return false;
    s.ctx.device.destroy();
    return true;
  },
  camMap: () => (state.cam ? Array.from(state.cam.map) : null),
};
