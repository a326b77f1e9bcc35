// The view in the URL, so that it can be shared: image (a sample's id), class, layer, method, colormap and
// opacity, next to the `weights` and `precision` the page already reads. Loading such a URL restores the view;
// a value that is not valid is said in an alert and replaced by the default.
import { colormapNames, type ColormapName } from '../cam/colormaps.ts';
import { NUM_CLASSES } from '../model/architecture.ts';
import { METHODS, camLayers, type AppState } from './state.ts';
import { showAlert } from './ui.ts';

const KEYS = ['image', 'class', 'layer', 'method', 'colormap', 'opacity'] as const;

/** Apply the URL's view to `app`; returns the sample id to open, if the URL names one. */
export function readUrl(app: AppState, sampleIds: readonly string[]): string | null {
  const q = new URLSearchParams(location.search);
  const problems: string[] = [];
  const image = q.get('image');
  let sample: string | null = null;
  if (image !== null) {
    if (sampleIds.includes(image)) sample = image;
    else problems.push(`image=${image} is not a sample (${sampleIds.join(', ')})`);
  }
  const cls = q.get('class');
  if (cls !== null) {
    const n = Number(cls);
    if (/^\d{1,3}$/.test(cls) && n < NUM_CLASSES) app.nextTarget = n;
    else problems.push(`class=${cls} is not an ImageNet index from 0 to 999: the top class is explained`);
  }
  const layer = q.get('layer');
  if (layer !== null) {
    if (camLayers().includes(layer)) app.layer = layer;
    else problems.push(`layer=${layer} is not a layer of ResNet50 with a spatial output: using ${app.layer}`);
  }
  const method = q.get('method');
  if (method !== null) {
    if (METHODS.some((m) => m.id === method)) app.method = method;
    else problems.push(`method=${method} is not offered here (${METHODS.map((m) => m.id).join(', ')}): using ${app.method}`);
  }
  const colormap = q.get('colormap');
  if (colormap !== null) {
    if ((colormapNames as readonly string[]).includes(colormap)) app.colormap = colormap as ColormapName;
    else problems.push(`colormap=${colormap} is not one of ${colormapNames.join(', ')}: using ${app.colormap}`);
  }
  const opacity = q.get('opacity');
  if (opacity !== null) {
    const a = Number(opacity);
    if (opacity.trim() !== '' && a >= 0 && a <= 1) app.alpha = a;
    else problems.push(`opacity=${opacity} is not a number in [0, 1]: using ${app.alpha}`);
  }
  if (problems.length > 0) showAlert('url', 'BAD_ARGUMENT', `This link's view was partly restored: ${problems.join('; ')}.`);
  return sample;
}

/** Record the current view in the URL (replacing the history entry: stepping through views adds none). */
export function writeUrl(app: AppState): void {
  const q = new URLSearchParams(location.search);
  for (const k of KEYS) q.delete(k);
  const sample = app.image ? app.image.sample : null;
  if (sample) q.set('image', sample);
  const target = app.image ? (app.cam?.target ?? app.target ?? app.nextTarget) : app.nextTarget;
  if (target !== null) q.set('class', String(target));
  q.set('layer', app.layer);
  q.set('method', app.method);
  q.set('colormap', app.colormap);
  q.set('opacity', String(Math.round(app.alpha * 100) / 100));
  const search = q.toString();
  const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
}
