// The explanation's controls: layer (debounced: keyboard stepping runs once), method, colour map, opacity, the
// overlay's view (crop or whole picture), and the class search. Each records itself in the URL.
import { colormapNames, type ColormapName } from '../cam/colormaps.ts';
import { STAGES, NUM_CLASSES } from '../model/architecture.ts';
import { IMAGENET_LABELS } from '../session.ts';
import licencesText from './samples/LICENSES.md?raw';
import { setView } from './explain.ts';
import { drawColorbar, renderTarget, setTarget } from './results.ts';
import { METHODS, camLayers, type AppState } from './state.ts';
import { $, clearAlert, h, showAlert } from './ui.ts';
import { writeUrl } from './url_state.ts';

/** How long the layer select waits for the next step before it starts a run. */
const LAYER_DEBOUNCE_MS = 600;

function buildLayerPicker(app: AppState): void {
  const select = $<HTMLSelectElement>('layer');
  const spatial = camLayers();
  const stageNames: string[] = STAGES.map((s) => s.name);
  const group = (label: string, paths: string[]) => {
    const g = h('optgroup', { label });
    for (const p of paths) g.append(h('option', { value: p, selected: p === app.layer }, p));
    select.append(g);
  };
  group('Stages', stageNames);
  group('Stem', spatial.filter((p) => !p.startsWith('layer')));
  for (const s of stageNames) group(`Inside ${s}`, spatial.filter((p) => p.startsWith(`${s}.`)));
  select.value = app.layer;
  select.addEventListener('change', () => {
    app.layer = select.value;
    writeUrl(app);
    app.queue.scheduleSoon(2, LAYER_DEBOUNCE_MS);
  });
}

/** The method picker: Grad-CAM only until the library's method registry is wired in (state.ts, METHODS). */
function buildMethodPicker(app: AppState): void {
  const select = $<HTMLSelectElement>('method');
  for (const m of METHODS) select.append(h('option', { value: m.id }, m.title));
  select.value = app.method;
  select.addEventListener('change', () => {
    app.method = select.value;
    writeUrl(app);
    app.queue.schedule(2);
  });
}

function buildColormapPicker(app: AppState): void {
  const select = $<HTMLSelectElement>('colormap');
  for (const name of colormapNames) select.append(h('option', { value: name }, name));
  select.value = app.colormap;
  drawColorbar(app.colormap);
  select.addEventListener('change', () => {
    app.colormap = select.value as ColormapName;
    drawColorbar(app.colormap);
    writeUrl(app);
    app.queue.schedule(1);
  });
}

function buildAlpha(app: AppState): void {
  const input = $<HTMLInputElement>('alpha');
  const out = $('alpha-value');
  input.value = String(app.alpha);
  const show = () => (out.textContent = Number(input.value).toFixed(2));
  show();
  input.addEventListener('input', show);
  input.addEventListener('change', () => {
    app.alpha = Number(input.value);
    writeUrl(app);
    app.queue.schedule(1);
  });
}

function buildViewToggle(app: AppState): void {
  const full = $<HTMLInputElement>('view-full');
  full.checked = app.view === 'full';
  full.addEventListener('change', () => setView(app, full.checked ? 'full' : 'crop'));
}

export function classFromText(text: string): number | null {
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
  return partial.length > 0 ? partial[0]![1] : null;
}

function buildClassSearch(app: AppState): void {
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
    if (!app.classification) {
      // No image classified yet: the class is kept for the next image (or the one being classified), and the
      // page says so under the top-5.
      app.nextTarget = index;
      renderTarget(app);
      writeUrl(app);
      return;
    }
    setTarget(app, index);
  });
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

export function buildControls(app: AppState): void {
  buildLicences();
  buildLayerPicker(app);
  buildMethodPicker(app);
  buildColormapPicker(app);
  buildAlpha(app);
  buildViewToggle(app);
  buildClassSearch(app);
}
