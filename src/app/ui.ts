// Small DOM helpers: typed look-ups, element building, the alert region, the status line, canvases.
import { WgcamError } from '../errors.ts';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'className') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

// ---- alerts -------------------------------------------------------------------------------------------

export type Topic = 'gpu' | 'weights' | 'image' | 'run' | 'camera' | 'precision' | 'url';

export interface AlertAction {
  label: string;
  run: () => void;
}

export interface ShownError {
  topic: Topic;
  code: string;
  message: string;
}

const shown = new Map<Topic, ShownError>();

export function errorCode(e: unknown): string {
  if (e instanceof WgcamError) return e.code;
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  if (e instanceof DOMException) return e.name;
  if (e instanceof Error) return e.name || 'Error';
  return 'ERROR';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] || String(e);
  return String(e);
}

/**
 * Show (or replace) the alert of one topic. The region has role="alert", so the text is announced; the page
 * stays usable around it. `actions` become buttons inside the alert.
 */
export function showAlert(topic: Topic, code: string, message: string, actions: AlertAction[] = []): void {
  const region = document.getElementById('alerts');
  if (!region) return;
  region.querySelector(`[data-topic="${topic}"]`)?.remove();
  const text = h('p', { className: 'alert-text' }, message, ' ', h('span', { className: 'alert-code' }, `(${code})`));
  const buttons = h('div', { className: 'alert-actions' });
  for (const a of actions) {
    const b = h('button', { type: 'button' }, a.label);
    b.addEventListener('click', () => a.run());
    buttons.append(b);
  }
  const dismiss = h('button', { type: 'button', 'aria-label': `Dismiss: ${message.slice(0, 60)}` }, 'Dismiss');
  dismiss.addEventListener('click', () => clearAlert(topic));
  buttons.append(dismiss);
  region.append(h('div', { className: 'alert', 'data-topic': topic, 'data-code': code }, text, buttons));
  shown.set(topic, { topic, code, message });
}

export function showError(topic: Topic, prefix: string, e: unknown, actions: AlertAction[] = []): void {
  const message = errorMessage(e);
  showAlert(topic, errorCode(e), prefix ? `${prefix}: ${message}` : message, actions);
  console.error(`[wgcam ${topic}]`, e);
}

export function clearAlert(topic: Topic): void {
  document.querySelector(`#alerts [data-topic="${topic}"]`)?.remove();
  shown.delete(topic);
}

export function shownErrors(): ShownError[] {
  return [...shown.values()];
}

// ---- status line --------------------------------------------------------------------------------------

let statusTimer: ReturnType<typeof setInterval> | null = null;

/** Set the polite status line; with `busySince`, a spinner and a running seconds count are added. */
export function setStatus(text: string, busySince?: number): void {
  const el = document.getElementById('status');
  if (!el) return;
  if (statusTimer) clearInterval(statusTimer);
  statusTimer = null;
  el.classList.toggle('busy', busySince !== undefined);
  if (busySince === undefined) {
    el.textContent = text;
    return;
  }
  // Only the text changes each second; screen readers get the first message (the live region is polite and
  // the counter lives in a separate aria-hidden span).
  el.textContent = text;
  const counter = h('span', { 'aria-hidden': 'true', className: 'numeric' });
  el.append(' ', counter);
  const tick = () => (counter.textContent = `${((performance.now() - busySince) / 1000).toFixed(0)} s`);
  tick();
  statusTimer = setInterval(tick, 1000);
}

// ---- canvases -----------------------------------------------------------------------------------------

/** Draw packed RGB bytes on a canvas, exactly (putImageData: no colour management, no premultiplication). */
export function drawRgb(canvas: HTMLCanvasElement, rgb: Uint8Array, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) return;
  const image = g.createImageData(width, height);
  const out = image.data;
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    out[4 * i] = rgb[j]!;
    out[4 * i + 1] = rgb[j + 1]!;
    out[4 * i + 2] = rgb[j + 2]!;
    out[4 * i + 3] = 255;
  }
  g.putImageData(image, 0, 0);
}

export function clearCanvas(canvas: HTMLCanvasElement): void {
  canvas.getContext('2d', { willReadFrequently: true })?.clearRect(0, 0, canvas.width, canvas.height);
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

export function percent(p: number): string {
  const v = p * 100;
  if (v >= 10) return `${v.toFixed(1)}%`;
  if (v >= 0.01) return `${v.toFixed(2)}%`;
  return `${v.toExponential(1)}%`;
}
