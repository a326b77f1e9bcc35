// What the explanation panel shows: the top-5, the class explained, the overlay (over the crop or the whole
// picture), the colour bar, the value under the pointer, the timings, and the pre-computed example.
import { COLORMAPS, type ColormapName } from '../cam/colormaps.ts';
import { NUM_CLASSES } from '../model/architecture.ts';
import { IMAGENET_LABELS, type Prediction } from '../session.ts';
import { setDownloadsEnabled } from './downloads.ts';
import type { AppState } from './state.ts';
import { formatMs, type TimingReport } from './timings.ts';
import { $, drawRgb, h, percent } from './ui.ts';
import { writeUrl } from './url_state.ts';

// ---- top-5 and the class explained ---------------------------------------------------------------------

/** The top-5 as buttons; `precomputed` draws them inert (a pre-computed result's classes cannot be chosen). */
export function renderTop5(app: AppState, top: readonly Prediction[] | null = app.classification?.top ?? null, precomputed = false): void {
  const list = $('top5');
  list.replaceChildren();
  if (!top) return;
  top.forEach((p, k) => {
    const pressed = !precomputed && p.index === app.target;
    const button = h(
      'button',
      {
        type: 'button',
        'aria-pressed': String(pressed),
        'data-index': p.index,
        disabled: precomputed,
        'aria-label': `${p.label}, class ${p.index}, ${percent(p.probability)}`,
      },
      h('span', { className: 'bar', style: `width: ${Math.max(0.5, p.probability * 100).toFixed(2)}%` }),
      h('span', { className: 'rank', 'aria-hidden': 'true' }, `${k + 1}.`),
      h('span', { className: 'label', title: `${p.index}: ${p.label}`, 'aria-hidden': 'true' }, p.label),
      h('span', { className: 'numeric', 'aria-hidden': 'true' }, percent(p.probability)),
    );
    if (!precomputed) button.addEventListener('click', () => setTarget(app, p.index));
    list.append(h('li', {}, button));
  });
  if (!precomputed) renderTarget(app);
}

export function renderTarget(app: AppState): void {
  const c = app.classification;
  const t = app.target;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#top5 button')) b.setAttribute('aria-pressed', String(Number(b.dataset.index) === t));
  if (!c || t === null) {
    const next = app.nextTarget;
    const when = app.image ? 'once this image is classified' : 'for the next image';
    $('target').textContent = next === null ? '' : `Class ${next}, “${IMAGENET_LABELS[next]}”, is explained ${when}.`;
    return;
  }
  const p = c.probabilities[t] ?? 0;
  let rank = 1;
  for (const q of c.probabilities) if (q > p) rank++;
  $('target').textContent = `Explaining class ${t}, “${IMAGENET_LABELS[t]}” (rank ${rank}, ${percent(p)}).`;
}

export function setTarget(app: AppState, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= NUM_CLASSES) return;
  app.target = index;
  renderTarget(app);
  writeUrl(app);
  app.queue.schedule(2);
}

/**
 * The class field never shows a class that is not in use: a class waiting for the next image stays; a typed
 * class stays while it is the one explained; anything else is cleared (unless the field is being edited).
 */
export function syncClassField(app: AppState): void {
  const input = $<HTMLInputElement>('class-search');
  if (document.activeElement === input) return;
  const next = app.nextTarget;
  if (next !== null) {
    input.value = `${next}: ${IMAGENET_LABELS[next]}`;
    return;
  }
  const explained = app.cam && app.precomputed === null ? app.cam.target : null;
  if (explained === null || !input.value.startsWith(`${explained}: `)) input.value = '';
}

// ---- the overlay -----------------------------------------------------------------------------------------

export function showCam(app: AppState): void {
  const cam = app.cam;
  if (!cam) return;
  clearPrecomputed(app);
  drawOverlay(app);
  drawColorbar(cam.colormap);
  app.camGeneration++;
  app.firstCamMs ??= performance.now();
  document.body.dataset.camGeneration = String(app.camGeneration);
  renderTarget(app);
  syncClassField(app);
  setDownloadsEnabled(true);
  writeUrl(app);
}

/** Draw the shown CAM's overlay in the chosen view (the full picture's, when it has been made). */
export function drawOverlay(app: AppState): void {
  const cam = app.cam!;
  const canvas = $<HTMLCanvasElement>('overlay');
  const what = `Grad-CAM of “${IMAGENET_LABELS[cam.target]}” at ${cam.layer} (${cam.colormap}, opacity ${cam.alpha.toFixed(2)})`;
  if (app.view === 'full' && cam.full && app.image) {
    const { decoded } = app.image;
    const { region, overlay } = cam.full;
    // The whole picture, dimmed outside the crop the network saw, with the heat map over the crop's region.
    drawRgb(canvas, decoded.data, decoded.width, decoded.height);
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.fillStyle = 'rgba(0, 0, 0, 0.45)';
    g.fillRect(0, 0, decoded.width, decoded.height);
    const part = g.createImageData(region.width, region.height);
    for (let i = 0, j = 0; i < region.width * region.height; i++, j += 3) {
      part.data.set([overlay[j]!, overlay[j + 1]!, overlay[j + 2]!, 255], 4 * i);
    }
    g.putImageData(part, region.x, region.y);
    $('overlay-caption').textContent = `${what}, over the whole picture (${decoded.width} × ${decoded.height}); the network saw the bright square`;
  } else {
    drawRgb(canvas, cam.overlay, cam.width, cam.height);
    $('overlay-caption').textContent = what;
  }
}

export function drawColorbar(name: ColormapName): void {
  const lut = COLORMAPS[name]; // [256, 3] uint8 RGB
  if (lut) drawRgb($<HTMLCanvasElement>('colorbar'), lut, 256, 1);
}

// ---- the pre-computed example -----------------------------------------------------------------------------

/** The CLI's result for the default sample, made by scripts/app/precompute_sample.mjs. */
export interface Precomputed {
  image: string;
  weights: string;
  layer: string;
  colormap: string;
  alpha: number;
  target: number;
  top5: Prediction[];
  command: string;
}

export function showPrecomputed(app: AppState, meta: Precomputed, overlay: ImageBitmap, picture: ImageBitmap): void {
  if (app.cam || (app.image && app.image.sample !== meta.image)) return; // a live result, or another picture, came first
  app.precomputed = meta.image;
  const draw = (id: string, bitmap: ImageBitmap) => {
    const canvas = $<HTMLCanvasElement>(id);
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d', { willReadFrequently: true })?.drawImage(bitmap, 0, 0);
  };
  if (!app.image) {
    draw('original', picture);
    $('original-caption').textContent = `The sample picture (${picture.width} × ${picture.height})`;
    $('image-name').textContent = 'A pre-computed example: pick an image (or this sample) to compute one here.';
  }
  renderTop5(app, meta.top5, true);
  draw('overlay', overlay);
  $('overlay-caption').textContent = `Pre-computed ahead with the CLI (${meta.weights} weights): Grad-CAM of “${IMAGENET_LABELS[meta.target]}” at ${meta.layer}, not computed in this page`;
  $('precomputed-badge').hidden = false;
}

export function clearPrecomputed(app: AppState): void {
  if (app.precomputed === null) return;
  app.precomputed = null;
  $('precomputed-badge').hidden = true;
}

// ---- hover / keyboard readout -------------------------------------------------------------------------------

/** Where a canvas's pixels are drawn in its box (the canvas is scaled with object-fit: contain). */
function drawnRect(canvas: HTMLCanvasElement): { left: number; top: number; width: number; height: number } {
  const r = canvas.getBoundingClientRect();
  const scale = Math.min(r.width / canvas.width, r.height / canvas.height);
  const width = canvas.width * scale;
  const height = canvas.height * scale;
  return { left: r.left + (r.width - width) / 2, top: r.top + (r.height - height) / 2, width, height };
}

/** The full-picture view's mapping between the CAM's pixels and the canvas's, or null in the crop view. */
function fullRegion(app: AppState, canvas: HTMLCanvasElement) {
  return canvas.id === 'overlay' && app.view === 'full' && app.cam?.full && app.image ? app.cam.full.region : null;
}

export class Readout {
  private cursor: { x: number; y: number } | null = null;

  constructor(private readonly app: AppState) {}

  /** Show the CAM value at (x, y) of the map, and mark it on both pictures. */
  at(x: number, y: number): void {
    const cam = this.app.cam;
    const out = $('readout');
    if (!cam || this.app.precomputed) {
      out.textContent = 'No CAM yet.';
      return;
    }
    x = Math.min(cam.width - 1, Math.max(0, x));
    y = Math.min(cam.height - 1, Math.max(0, y));
    this.cursor = { x, y };
    const v = cam.map[y * cam.width + x] ?? 0;
    out.textContent = `CAM ${v.toFixed(3)} at x ${x}, y ${y}`;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('.canvas-box canvas')) {
      const box = canvas.parentElement!;
      const mark = box.querySelector<HTMLElement>('.crosshair');
      if (!mark) continue;
      const region = fullRegion(this.app, canvas);
      // The point in the canvas's pixels, then in the box (letterboxed pictures included).
      const px = region ? region.x + ((x + 0.5) * region.width) / cam.width : x + 0.5;
      const py = region ? region.y + ((y + 0.5) * region.height) / cam.height : y + 0.5;
      const d = drawnRect(canvas);
      const b = box.getBoundingClientRect();
      mark.hidden = false;
      mark.style.left = `${((d.left - b.left + (px / canvas.width) * d.width) / b.width) * 100}%`;
      mark.style.top = `${((d.top - b.top + (py / canvas.height) * d.height) / b.height) * 100}%`;
    }
  }

  wire(canvas: HTMLCanvasElement): void {
    const hide = () => {
      for (const m of document.querySelectorAll<HTMLElement>('.crosshair')) m.hidden = true;
    };
    canvas.addEventListener('pointermove', (e) => {
      const cam = this.app.cam;
      if (!cam || this.app.precomputed) return;
      const d = drawnRect(canvas);
      const px = ((e.clientX - d.left) / d.width) * canvas.width;
      const py = ((e.clientY - d.top) / d.height) * canvas.height;
      const region = fullRegion(this.app, canvas);
      if (region && (px < region.x || py < region.y || px >= region.x + region.width || py >= region.y + region.height)) {
        hide();
        $('readout').textContent = 'Outside the crop the network saw: no CAM there.';
        return;
      }
      const mx = region ? ((px - region.x) / region.width) * cam.width : (px / canvas.width) * cam.width;
      const my = region ? ((py - region.y) / region.height) * cam.height : (py / canvas.height) * cam.height;
      this.at(Math.floor(mx), Math.floor(my));
    });
    canvas.addEventListener('pointerleave', hide);
    canvas.addEventListener('blur', hide);
    canvas.addEventListener('keydown', (e) => {
      const cam = this.app.cam;
      if (!cam) return;
      const step = e.shiftKey ? 16 : 4;
      const c = this.cursor ?? { x: cam.width >> 1, y: cam.height >> 1 };
      const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const m = moves[e.key];
      if (!m) return;
      e.preventDefault();
      this.at(c.x + m[0], c.y + m[1]);
      $('readout').setAttribute('aria-live', 'polite');
    });
    canvas.addEventListener('focus', () => {
      const cam = this.app.cam;
      if (cam) this.at(this.cursor?.x ?? cam.width >> 1, this.cursor?.y ?? cam.height >> 1);
    });
  }
}

// ---- timings ------------------------------------------------------------------------------------------

export function renderTimings(report: TimingReport): void {
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
