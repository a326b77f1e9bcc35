// The download buttons: the overlay as shown (PNG), the CAM map as .npy, and everything as safetensors.
import { IMAGENET_LABELS } from '../session.ts';
import { encodeCamSafetensors, encodeNpyFloat32, saveBlob, saveBytes, stem } from './export.ts';
import type { AppState } from './state.ts';
import { $ } from './ui.ts';

const BUTTONS = ['download-png', 'download-npy', 'download-safetensors'];

export function setDownloadsEnabled(on: boolean): void {
  for (const id of BUTTONS) $<HTMLButtonElement>(id).disabled = !on;
}

function exportName(app: AppState, ext: string): string {
  const cam = app.cam!;
  return `${stem(app.image?.name ?? 'image')}-${cam.layer}-class${cam.target}.${ext}`;
}

export function wireDownloads(app: AppState): void {
  $('download-png').addEventListener('click', () => {
    if (!app.cam) return;
    $<HTMLCanvasElement>('overlay').toBlob((blob) => blob && saveBlob(blob, exportName(app, 'png')), 'image/png');
  });
  $('download-npy').addEventListener('click', () => {
    const cam = app.cam;
    if (!cam) return;
    saveBytes(encodeNpyFloat32(cam.map, [cam.height, cam.width]), exportName(app, 'npy'));
  });
  $('download-safetensors').addEventListener('click', () => {
    const cam = app.cam;
    if (!cam) return;
    const bytes = encodeCamSafetensors({
      layer: cam.layer,
      target: cam.target,
      label: IMAGENET_LABELS[cam.target] ?? '',
      weights: app.weights?.description ?? '',
      image: app.image?.name ?? '',
      map: cam.map,
      raw: cam.raw,
      overlay: cam.overlay,
      height: cam.height,
      width: cam.width,
    });
    saveBytes(bytes, exportName(app, 'safetensors'));
  });
}
