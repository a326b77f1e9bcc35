// Weights and the GPU session: choosing weights (ImageNet download, a file, a URL, synthetic), starting the
// session (device, upload, kernel tuning), device loss and recovery, and the precision switch.
import { Wgcam, parsePrecision } from '../session.ts';
import { StageTracker } from './timings.ts';
import { releasePrepared, setPhase, readyText, type AppState } from './state.ts';
import { $, clearAlert, errorCode, formatBytes, setStatus, showAlert, showError } from './ui.ts';
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

const progressRow = () => $('weights-progress-row');

export const onWeightsProgress: Progress = (received, total, phase) => {
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

export function setWeightsButtonsDisabled(disabled: boolean): void {
  for (const id of ['weights-pretrained', 'weights-synthetic', 'weights-file']) ($(id) as HTMLButtonElement | HTMLInputElement).disabled = disabled;
}

/** Load weights from `source`, then (re)create the GPU session. Failures are shown; the old weights stay. */
export async function chooseWeights(app: AppState, describe: string, source: () => Promise<LoadedWeights> | LoadedWeights): Promise<void> {
  if (app.weightsBusy) return;
  app.weightsBusy = true;
  app.sessionStarting = describe;
  setWeightsButtonsDisabled(true);
  setStatus(`${describe}…`, performance.now());
  if (app.image) app.progress.waiting(describe);
  try {
    const loaded = await source();
    clearAlert('weights');
    app.weights = loaded;
    renderWeights(app);
    await createSession(app);
  } catch (e) {
    const message = browserHint(e instanceof Error ? e.message : String(e));
    const actions = [
      { label: 'Use synthetic weights', run: () => void chooseWeights(app, 'Generating the synthetic weights', loadSynthetic) },
      { label: 'Choose a local file', run: () => $<HTMLInputElement>('weights-file').click() },
    ];
    showAlert('weights', errorCode(e), `Cannot use these weights: ${message}`, actions);
    console.error('[wgcam weights]', e);
  } finally {
    progressRow().hidden = true;
    app.weightsBusy = false;
    app.sessionStarting = null;
    if (!app.queue.busy) app.progress.end();
    setWeightsButtonsDisabled(!app.gpu);
    void refreshCachedNote();
    if (!app.queue.busy) setPhase(app, 'idle');
    app.queue.notifyIdle();
  }
}

function renderWeights(app: AppState): void {
  const w = app.weights;
  $('weights-current').textContent = w ? `Using: ${w.description}.` : 'No weights loaded yet.';
  $('synthetic-banner').hidden = w?.kind !== 'synthetic';
}

export async function refreshCachedNote(): Promise<void> {
  const cached = await isPretrainedCached();
  $('weights-forget').hidden = !cached;
  $('weights-pretrained').textContent = cached ? 'Load ImageNet weights (cached)' : 'Download ImageNet weights (about 100 MB)';
}

function retireSession(app: AppState): void {
  const old = app.session;
  releasePrepared(app);
  app.session = null;
  app.tracker?.uninstall();
  app.tracker = null;
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
export async function createSession(app: AppState, keepResults = false): Promise<void> {
  retireSession(app);
  if (!app.gpu) {
    showNoWebGpu();
    return;
  }
  const weights = app.weights;
  if (!weights) return;
  const starting = app.sessionStarting;
  app.sessionStarting ??= 'Starting the GPU';
  setStatus('Starting the GPU and uploading the weights…', performance.now());
  if (app.image) app.progress.waiting('Starting the GPU and uploading the weights');
  let session: Wgcam;
  let tracker: StageTracker | null = null;
  try {
    // The GEMM tiles are chosen now, under their own status, so that the first image's timings are the model's
    // alone; localStorage keeps the choice for later visits.
    const tuningSince = performance.now();
    session = await Wgcam.create(app.gpu, weights.weights, { tuning: { store: localTuningStore }, precision: app.precision });
    app.sessionStarting = 'Choosing kernels for this adapter';
    setStatus('Choosing kernels for this adapter…', tuningSince);
    // The tracker counts the kernels compiled while tuning, for the progress box.
    tracker = new StageTracker(session.ctx);
    const shownTracker = tracker;
    const tuning = () => app.progress.waiting('Choosing kernels for this adapter (tuning, once per browser)', shownTracker.compiled ? `${shownTracker.compiled} kernels compiled` : '');
    tracker.onActivity = () => {
      if (app.image) tuning();
    };
    if (app.image) tuning();
    const tuneStart = performance.now();
    await session.tune();
    app.tuning = { ms: performance.now() - tuneStart, imageWaited: app.image !== null };
    tracker.onActivity = null;
  } catch (e) {
    tracker?.uninstall();
    app.sessionStarting = starting;
    if (errorCode(e) === 'NO_SHADER_F16') {
      // Asked for by the URL on an adapter without it: say so, and carry on in f32.
      app.precision = 'f32';
      showAlert('precision', 'NO_SHADER_F16', 'This adapter does not offer shader-f16, so f16 GEMM operands are not available here: running in f32.');
      return createSession(app, keepResults);
    }
    if (!app.queue.busy) app.progress.end();
    if (errorCode(e) === 'NO_ADAPTER') {
      showAlert(
        'gpu',
        'NO_ADAPTER',
        'This browser has WebGPU but found no GPU adapter (the GPU may be blocklisted or disabled). Try chrome://flags/#enable-unsafe-webgpu, update the graphics driver, or use another browser.',
      );
    } else {
      showError('gpu', 'Cannot start WebGPU', e, [{ label: 'Try again', run: () => void recover(app) }]);
    }
    return;
  }
  app.sessionStarting = starting;
  clearAlert('gpu');
  app.session = session;
  const ctx = session.ctx;
  if (ctx.hasTimestamps) ctx.setProfiling(true);
  app.tracker = tracker;
  renderAdapter(app);
  void ctx.lost.then((info) => {
    if (app.session === session) onDeviceLost(app, session, info.message || info.reason || 'unknown reason');
  });
  if (keepResults && app.classification && app.target !== null) {
    app.queue.schedule(2);
  } else {
    app.classification = null;
    app.cam = null;
    app.queue.schedule(3);
  }
}

function onDeviceLost(app: AppState, session: Wgcam, why: string): void {
  // Only the current session matters (retired ones were destroyed on purpose), and only once.
  if (app.session !== session) return;
  app.prepared = null; // its buffers died with the device
  app.session = null;
  app.tracker = null;
  showAlert('gpu', 'DEVICE_LOST', `The GPU device was lost (${why}). Your weights are still in memory: recover to start a new device.`, [
    { label: 'Recover', run: () => void recover(app) },
  ]);
  // The shown CAM lives in CPU memory: its downloads keep working.
  if (!app.queue.busy) setStatus(readyText(app));
}

async function recover(app: AppState): Promise<void> {
  clearAlert('gpu');
  await createSession(app, true);
  if (app.session && !app.queue.busy) setPhase(app, 'idle');
}

/** A job failed: a lost device offers recovery; anything else is shown with a retry. */
export async function handleRunError(app: AppState, e: unknown, session: Wgcam | null): Promise<void> {
  if (session) {
    // A read-back can fail a moment before the device's lost promise settles: give it that moment.
    await Promise.race([session.ctx.lost, new Promise((r) => setTimeout(r, 250))]);
    if (session.ctx.isLost || errorCode(e) === 'DEVICE_LOST') {
      onDeviceLost(app, session, 'the device stopped answering during a run');
      return;
    }
  }
  showError('run', 'The computation failed', e, [{ label: 'Try again', run: () => app.queue.schedule(3) }]);
}

function renderAdapter(app: AppState): void {
  const ctx = app.session?.ctx;
  if (!ctx) return;
  const a = ctx.adapter;
  const parts = [a.description || 'unknown adapter'];
  if (a.software) parts.push('software adapter: slow, timings say little about a GPU');
  parts.push(ctx.hasTimestamps ? 'timestamp-query: yes' : 'timestamp-query: no (CPU-side timings)');
  parts.push(`GEMM operands: ${app.session!.precision}`);
  $('adapter').textContent = `WebGPU adapter: ${parts.join(' · ')}`;
  const f16 = $<HTMLInputElement>('precision-f16');
  f16.checked = app.session!.precision === 'f16';
  f16.disabled = !ctx.hasF16;
  $('precision-hint').textContent = ctx.hasF16
    ? 'GEMM operands in f16, sums in f32: heatmaps as with f32, input gradients less exact (README)'
    : 'not available: this adapter has no shader-f16';
}

export function showNoWebGpu(): void {
  showAlert(
    'gpu',
    'NO_WEBGPU',
    'This browser does not offer WebGPU, so nothing can be computed here. Use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), or in Chrome enable chrome://flags/#enable-unsafe-webgpu (on Linux also chrome://flags/#enable-vulkan) and restart it. Pictures can still be viewed.',
  );
  $('adapter').textContent = 'WebGPU: not available in this browser.';
}

export function wirePrecision(app: AppState): void {
  const asked = new URLSearchParams(location.search).get('precision');
  if (asked !== null) {
    try {
      app.precision = parsePrecision(asked);
    } catch {
      showAlert('precision', 'BAD_ARGUMENT', `?precision=${asked} is neither f32 nor f16: running in f32.`);
    }
  }
  const f16 = $<HTMLInputElement>('precision-f16');
  // A new session with the other operands; the picture shown is classified and explained again.
  f16.addEventListener('change', () => {
    app.precision = f16.checked ? 'f16' : 'f32';
    clearAlert('precision');
    void createSession(app);
  });
}

export function wireWeights(app: AppState): void {
  $('weights-pretrained').addEventListener('click', () => void chooseWeights(app, 'Loading the ImageNet weights', () => loadPretrained(onWeightsProgress)));
  $('weights-synthetic').addEventListener('click', () => void chooseWeights(app, 'Generating the synthetic weights', loadSynthetic));
  const file = $<HTMLInputElement>('weights-file');
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    file.value = '';
    if (f) void chooseWeights(app, `Reading ${f.name}`, () => loadFromFile(f, onWeightsProgress));
  });
  $('weights-forget').addEventListener('click', async () => {
    await forgetPretrained();
    await refreshCachedNote();
    setStatus('The cached weights were removed from this browser.');
  });
}

/** The weights the page starts with: `?weights=`, else the cached ImageNet weights, else the user's choice. */
export async function startWeights(app: AppState): Promise<void> {
  const source = new URLSearchParams(location.search).get('weights');
  if (source === 'synthetic') {
    await chooseWeights(app, 'Generating the synthetic weights', loadSynthetic);
  } else if (source === 'pretrained' || (source === null && (await isPretrainedCached()))) {
    await chooseWeights(app, 'Loading the ImageNet weights', () => loadPretrained(onWeightsProgress));
  } else if (source) {
    await chooseWeights(app, `Downloading weights from ${source}`, () => loadFromUrl(source, onWeightsProgress));
  } else {
    setStatus('Choose weights to start: the ImageNet weights (downloaded once), a local file, or the synthetic test weights.');
    $('weights-pretrained').focus({ preventScroll: true });
  }
}
