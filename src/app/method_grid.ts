// The method grid: every CAM method of the library side by side, for the image, class and layer on show. The
// gradient and eigen methods come from one `Wgcam.explain` call (one forward, one backward); the methods that run a
// forward per channel (scorecam, ablationcam) follow, one call each, with their count in the progress box, and
// each tile is drawn as soon as its method is done.
import type { Tensor } from '../gpu/tensor.ts';
import { MASKED_FORWARD_METHODS, METHODS, type AppState } from './state.ts';
import { $, drawRgb, h } from './ui.ts';

/** What the grid shows: a new image, class, layer, colour map or opacity makes it stale. */
function gridKey(app: AppState): string {
  const cam = app.cam!;
  return JSON.stringify([app.image?.serial, cam.target, cam.layer, cam.colormap, cam.alpha]);
}

/** The grid's tiles, one per method, in the registry's order (empty until their method is done). */
function buildTiles(): void {
  const grid = $('method-grid');
  if (grid.childElementCount === METHODS.length) return;
  grid.replaceChildren(
    ...METHODS.map((m) =>
      h('figure', { class: 'method-tile', 'data-method': m.id }, h('canvas', { width: 224, height: 224, 'aria-label': `${m.title} overlay` }), h('figcaption', {}, m.title)),
    ),
  );
}

function drawTile(app: AppState, method: string, overlay: Uint8Array): void {
  const tile = $('method-grid').querySelector<HTMLElement>(`[data-method="${CSS.escape(method)}"]`);
  if (!tile) return;
  const cam = app.cam!;
  drawRgb(tile.querySelector('canvas')!, overlay, cam.width, cam.height);
  tile.dataset.done = 'true';
}

/** Run every method not yet shown for this view, once per press of the button (the job calls it after its result). */
export async function runMethodGrid(app: AppState, input: Tensor, picture: Uint8Array): Promise<void> {
  buildTiles();
  const cam = app.cam!;
  const key = gridKey(app);
  app.grid.wanted = false;
  if (app.grid.key !== key) {
    app.grid = { wanted: false, key, overlays: new Map() };
    buildTiles();
    for (const tile of $('method-grid').querySelectorAll<HTMLElement>('.method-tile')) delete tile.dataset.done;
  }
  // Score-CAM and Ablation-CAM run a forward per channel (2048 at layer4): only when the user ticks them in.
  const withSlow = $<HTMLInputElement>('method-grid-slow').checked;
  const missing = METHODS.map((m) => m.id).filter((id) => !app.grid.overlays.has(id) && (withSlow || !MASKED_FORWARD_METHODS.has(id)));
  if (missing.length === 0) {
    gridDone(app);
    return;
  }
  const session = app.session!;
  const common = { layers: [cam.layer], targets: [cam.target], pictures: [picture], colormap: cam.colormap, alpha: cam.alpha };
  const quick = missing.filter((id) => !MASKED_FORWARD_METHODS.has(id));
  const slow = missing.filter((id) => MASKED_FORWARD_METHODS.has(id));
  app.progress.detail(`method grid: ${quick.length} methods from one forward and one backward pass`);
  const batches = [...(quick.length > 0 ? [quick] : []), ...slow.map((id) => [id])];
  for (const methods of batches) {
    const result = await session.explain(input, {
      ...common,
      methods,
      onProgress: (p) => app.progress.detail(`method grid: ${p.method}, ${p.done} of ${p.total} masked forwards`),
    });
    if (app.grid.key !== key) return; // the view changed meanwhile (markGridStale says so)
    for (const [id, r] of result.methods) {
      app.grid.overlays.set(id, r.overlay!);
      drawTile(app, id, r.overlay!);
    }
  }
  gridDone(app);
}

function gridDone(app: AppState): void {
  const cam = app.cam!;
  const label = app.classification?.top.find((p) => p.index === cam.target)?.label ?? String(cam.target);
  const skipped = METHODS.filter((m) => !app.grid.overlays.has(m.id)).map((m) => m.title.replace(/ \(.*\)$/, ''));
  $('method-grid-status').textContent =
    `Every method for “${label}” at ${cam.layer}` + (skipped.length > 0 ? ` but ${skipped.join(' and ')} (tick them in to compute them too).` : '.');
}

/** The grid's button: opens the grid and asks the queue for it (computed after any job already waiting). */
export function wireMethodGrid(app: AppState): void {
  $<HTMLButtonElement>('method-grid-run').addEventListener('click', () => {
    app.grid.wanted = true;
    $('method-grid-panel').hidden = false;
    $('method-grid-status').textContent = 'Computing every method…';
    app.queue.schedule(1);
  });
}

/** After a job: a grid made for another image, class, layer or look says so (it is recomputed on request only). */
export function markGridStale(app: AppState): void {
  if (app.grid.key === null || !app.cam || app.grid.key === gridKey(app)) return;
  app.grid.key = null;
  app.grid.overlays.clear();
  for (const tile of $('method-grid').querySelectorAll<HTMLElement>('.method-tile')) delete tile.dataset.done;
  $('method-grid-status').textContent = 'The grid was for another class, layer or picture: press “Compare every method” again.';
}
