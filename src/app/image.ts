// Images in: the bundled samples, a file (input, drop, paste) and camera frames. A new image is drawn at once;
// it is classified and explained as soon as there is a GPU session (at once, or when the session is ready).
import { WgcamError } from '../errors.ts';
import { decodeImageBlob, rgbFromBitmap } from '../image/decode_browser.ts';
import type { RgbImage } from '../image/types.ts';
import { setDownloadsEnabled } from './downloads.ts';
import { clearPrecomputed, renderTarget, renderTop5, syncClassField } from './results.ts';
import { readyText, releasePrepared, type AppState } from './state.ts';
import { $, clearAlert, clearCanvas, drawRgb, h, setStatus, showError } from './ui.ts';
import { writeUrl } from './url_state.ts';
import { chooseWeights, onWeightsProgress } from './weights.ts';
import { loadFromFile } from './weights_cache.ts';

// Literal `new URL(..., import.meta.url)` so that Vite copies each file into the build (hashed).
export const SAMPLES = [
  { id: 'chelsea', file: 'chelsea.png', title: 'Chelsea the cat', url: new URL('./samples/chelsea.png', import.meta.url).href },
  { id: 'coffee', file: 'coffee.png', title: 'Coffee cup', url: new URL('./samples/coffee.png', import.meta.url).href },
  { id: 'astronaut', file: 'astronaut.png', title: 'Astronaut', url: new URL('./samples/astronaut.png', import.meta.url).href },
  { id: 'rocket', file: 'rocket.jpg', title: 'Rocket launch', url: new URL('./samples/rocket.jpg', import.meta.url).href },
];

export type Sample = (typeof SAMPLES)[number];

export async function useImage(app: AppState, source: Blob | RgbImage, name: string, sample: string | null = null): Promise<void> {
  setStatus(`Reading ${name}…`, performance.now());
  let decoded: RgbImage;
  try {
    decoded = source instanceof Blob ? await decodeImageBlob(source, name) : source;
  } catch (e) {
    // The core's messages name the file and say what to do; anything else gets that context here.
    showError('image', e instanceof WgcamError ? 'Cannot use this image' : `Cannot read the image “${name}” (use a PNG or JPEG file)`, e);
    if (!app.queue.busy) setStatus(readyText(app));
    return;
  }
  clearAlert('image');
  // The pre-computed example stays on show while its own sample is computed live.
  const keepPrecomputed = app.precomputed !== null && app.precomputed === sample;
  if (!keepPrecomputed) clearPrecomputed(app);
  releasePrepared(app);
  app.imageSerial++;
  app.image = { name, decoded, serial: app.imageSerial, sample };
  app.classification = null;
  app.cam = null;
  app.target = null;
  $('image-name').textContent = `${name} (${decoded.width} × ${decoded.height})`;
  if (!keepPrecomputed) {
    renderTop5(app);
    clearCanvas($<HTMLCanvasElement>('overlay'));
    $('overlay-caption').textContent = 'Grad-CAM overlay';
  }
  renderTarget(app);
  syncClassField(app);
  setDownloadsEnabled(false);
  writeUrl(app);
  // The picture as it is, until its network-sized crop is ready (or for good, without a GPU).
  drawRgb($<HTMLCanvasElement>('original'), decoded.data, decoded.width, decoded.height);
  $('original-caption').textContent = `The picture (${decoded.width} × ${decoded.height}), before resizing and cropping`;
  // On a phone the results sit below the pickers: bring them into view.
  if (matchMedia('(max-width: 820px)').matches) $('results-heading').scrollIntoView({ behavior: 'smooth', block: 'start' });
  if (!app.session) {
    // While the session starts (weights, device, tuning), the image waits for it and the page says so where
    // the result will appear; otherwise the status line says why there is no session.
    if (app.sessionStarting) {
      app.progress.waiting(`${app.sessionStarting}…`, 'this picture is explained as soon as the GPU is ready');
      setStatus(readyText(app), performance.now());
    } else setStatus(readyText(app));
    return;
  }
  app.queue.schedule(3);
}

export async function useSample(app: AppState, sample: Sample): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#samples button')) b.setAttribute('aria-pressed', String(b.dataset.sample === sample.id));
  try {
    const response = await fetch(sample.url);
    if (!response.ok) throw new WgcamError('SAMPLE_MISSING', `HTTP ${response.status} for ${sample.file}`);
    await useImage(app, await response.blob(), sample.file, sample.id);
  } catch (e) {
    showError('image', `Cannot load the sample ${sample.file}`, e);
  }
}

function unpressSamples(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('#samples button')) b.setAttribute('aria-pressed', 'false');
}

function useFile(app: AppState, file: File): void {
  if (/\.safetensors$/i.test(file.name)) {
    void chooseWeights(app, `Reading ${file.name}`, () => loadFromFile(file, onWeightsProgress));
    return;
  }
  unpressSamples();
  void useImage(app, file, file.name);
}

export function buildSamples(app: AppState): void {
  const list = $('samples');
  for (const s of SAMPLES) {
    const b = h(
      'button',
      { type: 'button', 'data-sample': s.id, 'aria-pressed': 'false' },
      h('img', { src: s.url, alt: '', loading: 'lazy', width: 72, height: 72 }),
      h('span', {}, s.title),
    );
    b.addEventListener('click', () => void useSample(app, s));
    list.append(h('li', {}, b));
  }
}

export function wireImageInputs(app: AppState): void {
  const file = $<HTMLInputElement>('image-file');
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) {
      unpressSamples();
      void useImage(app, f, f.name);
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
    useFile(app, f);
  });
  document.addEventListener('paste', (e) => {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (!f) return;
    e.preventDefault();
    unpressSamples();
    void useImage(app, f, f.name && f.name !== 'image.png' ? f.name : 'pasted image');
  });
}

export function wireCamera(app: AppState): void {
  const video = $<HTMLVideoElement>('camera-video');
  const start = $<HTMLButtonElement>('camera-start');
  const capture = $<HTMLButtonElement>('camera-capture');
  const stop = $<HTMLButtonElement>('camera-stop');
  let stream: MediaStream | null = null;
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
      void useImage(app, frame, `camera frame ${new Date().toLocaleTimeString()}`);
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
