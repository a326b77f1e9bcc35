// The job's progress, shown over the overlay (where the user looks while waiting): the step by name, its number
// among the job's steps, the kernels being compiled for it, the seconds so far, and how long the last such job
// took in this page (the estimate).
import { $ } from './ui.ts';

export class JobProgress {
  private timer: ReturnType<typeof setInterval> | null = null;
  private since = 0;
  private estimateMs: number | null = null;
  private text = '';

  private get box(): HTMLElement {
    return $('job-progress');
  }

  private get bar(): HTMLProgressElement {
    return $<HTMLProgressElement>('job-bar');
  }

  private tick(): void {
    const seconds = (performance.now() - this.since) / 1000;
    const estimate = this.estimateMs !== null ? ` · the last such run took ${(this.estimateMs / 1000).toFixed(0)} s` : '';
    $('job-time').textContent = `${seconds.toFixed(0)} s${estimate}`;
  }

  /** Show the box for a job of `count` steps (with an estimate in ms from an earlier run, when there is one). */
  start(count: number, estimateMs: number | null): void {
    this.since = performance.now();
    this.estimateMs = estimateMs;
    this.bar.max = Math.max(1, count);
    this.bar.value = 0;
    this.box.hidden = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);
    this.tick();
  }

  /** Step `index` (1-based) of the job's steps, by name, e.g. "forward pass". */
  step(index: number, name: string): void {
    $('job-step').textContent = `Step ${index} of ${this.bar.max}: ${name}`;
    this.bar.value = index - 1;
    this.detail('');
  }

  /** What the step is doing now, e.g. "compiling 12 new GPU kernels". */
  detail(text: string): void {
    if (text === this.text) return;
    this.text = text;
    $('job-detail').textContent = text;
  }

  /** A wait with no steps of its own (the GPU session starting, kernels being tuned). */
  waiting(name: string, text = ''): void {
    if (this.box.hidden) this.start(1, null);
    $('job-step').textContent = name;
    this.bar.removeAttribute('value'); // indeterminate
    this.detail(text);
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.box.hidden = true;
    $('job-step').textContent = '';
    this.detail('');
  }

  /** What the box says, or null when it is hidden (for tests). */
  get shown(): string | null {
    return this.box.hidden ? null : `${$('job-step').textContent} ${this.text}`.trim();
  }
}
