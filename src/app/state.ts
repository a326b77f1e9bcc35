// The app's state, in one object (`AppState`), and its job queue: one job at a time, the latest request wins.
// Every other module of the app reads and changes this object; none keeps state of its own beyond DOM wiring.
import type { ColormapName } from '../cam/colormaps.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { RgbImage } from '../image/types.ts';
import type { GemmOperands } from '../kernels/gemm/tiles.ts';
import { modulePaths } from '../model/architecture.ts';
import { IMAGENET_LABELS, type Prediction, type Wgcam } from '../session.ts';
import { JobProgress } from './progress.ts';
import type { StageTracker, TimingReport } from './timings.ts';
import { $, setStatus } from './ui.ts';
import type { LoadedWeights } from './weights_cache.ts';

/** The CAM on show, kept in CPU memory (downloads and redraws use it; a lost device does not take it away). */
export interface CamShown {
  target: number;
  layer: string;
  method: string;
  colormap: ColormapName;
  alpha: number;
  /** [H, W] in [0, 1], over the network's input (the centre crop). */
  map: Float32Array;
  raw: { shape: number[]; data: Float32Array } | null;
  /** [H, W, 3] over the centre crop. */
  overlay: Uint8Array;
  width: number;
  height: number;
  /** The overlay over the whole picture (the "full picture" view), made on demand for this colour map and opacity. */
  full: FullOverlay | null;
}

/** The heat map over the original picture: the crop's region of it, at the picture's resolution. */
export interface FullOverlay {
  colormap: ColormapName;
  alpha: number;
  /** The crop's region in the picture's pixels. */
  region: { x: number; y: number; width: number; height: number };
  /** [region.height, region.width, 3]. */
  overlay: Uint8Array;
}

/** 1: redraw the overlay (colour map, opacity, view); 2: recompute the CAM (class, layer, method); 3: a new image. */
export type Level = 0 | 1 | 2 | 3;
export type Phase = 'starting' | 'idle' | 'busy';

export interface AppState {
  gpu: GPU | null;
  weights: LoadedWeights | null;
  session: Wgcam | null;
  /** A session being created (weights read, device started, kernels chosen): jobs wait for it. */
  sessionStarting: string | null;
  tracker: StageTracker | null;
  /** `sample`: the bundled sample's id (recorded in the URL), or null for a file, a paste or a camera frame. */
  image: { name: string; decoded: RgbImage; serial: number; sample: string | null } | null;
  imageSerial: number;
  prepared: { input: Tensor; crop: RgbImage; session: Wgcam; serial: number } | null;
  classification: { serial: number; top: Prediction[]; probabilities: Float32Array } | null;
  /** The class explained for the current image (null until it is classified). */
  target: number | null;
  /** A class asked for before there was an image to explain it for (typed, or from the URL): used by the next image. */
  nextTarget: number | null;
  layer: string;
  /** The CAM method's id (URL `method`); only Grad-CAM today. */
  method: string;
  colormap: ColormapName;
  alpha: number;
  /** Which picture the overlay is drawn over: the network's 224 px crop, or the whole original picture. */
  view: 'crop' | 'full';
  cam: CamShown | null;
  /** The sample whose pre-computed result is on show (until the page computes one of its own), or null. */
  precomputed: string | null;
  camGeneration: number;
  /** When the page showed its first computed heatmap, in ms since navigation (for the e2e test's figures). */
  firstCamMs: number | null;
  /** The last session's kernel tuning: how long it took, and whether an image was waiting for it (e2e figures). */
  tuning: { ms: number; imageWaited: boolean } | null;
  /** Jobs that ran the network (levels 2 and 3), for tests (a debounced control starts one, not one per step). */
  networkRuns: number;
  lastReport: TimingReport | null;
  phase: Phase;
  weightsBusy: boolean;
  /** GEMM operands of the next session: `?precision=` or the f16 switch. */
  precision: GemmOperands;
  queue: JobQueue;
  /** The progress box over the overlay. */
  progress: JobProgress;
  /** How long the last job of each kind took in this page (the progress box's estimate). */
  jobDurations: Map<string, number>;
}

export function createAppState(): AppState {
  const app: AppState = {
    gpu: null,
    weights: null,
    session: null,
    sessionStarting: null,
    tracker: null,
    image: null,
    imageSerial: 0,
    prepared: null,
    classification: null,
    target: null,
    nextTarget: null,
    layer: 'layer4',
    method: 'gradcam',
    colormap: 'jet',
    alpha: 0.5,
    view: 'crop',
    cam: null,
    precomputed: null,
    camGeneration: 0,
    firstCamMs: null,
    tuning: null,
    networkRuns: 0,
    lastReport: null,
    phase: 'starting',
    weightsBusy: false,
    precision: 'f32',
    queue: null as unknown as JobQueue,
    progress: new JobProgress(),
    jobDurations: new Map(),
  };
  app.queue = new JobQueue(app);
  return app;
}

/** What the queue runs: the job itself, and what to do when it fails (both set once, by main.ts). */
export interface JobRunner {
  run(level: Exclude<Level, 0>): Promise<void>;
  failed(e: unknown, session: Wgcam | null): Promise<void>;
}

export class JobQueue {
  runner: JobRunner | null = null;
  private pending: Level = 0;
  private running: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  private debounce: ReturnType<typeof setTimeout> | null = null;
  private debounced: Level = 0;

  constructor(private readonly app: AppState) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Ask for a job of at least `level`; it starts now, or after the running one (requests in between merge). */
  schedule(level: Exclude<Level, 0>): void {
    if (!this.app.session || !this.app.image) return;
    this.pending = Math.max(this.pending, level) as Level;
    this.running ??= this.pump();
  }

  /**
   * As `schedule`, once `ms` pass without another call: for controls stepped with the keyboard (each step is a
   * change event), so that only the last step's job runs. The page counts as busy meanwhile.
   */
  scheduleSoon(level: Exclude<Level, 0>, ms: number): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounced = Math.max(this.debounced, level) as Level;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      const l = this.debounced;
      this.debounced = 0;
      if (l > 0) this.schedule(l as Exclude<Level, 0>);
      this.notifyIdle();
    }, ms);
  }

  isIdle(): boolean {
    return !this.running && !this.debounce && !this.app.weightsBusy;
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async pump(): Promise<void> {
    setPhase(this.app, 'busy');
    try {
      while (this.pending > 0) {
        const level = this.pending as Exclude<Level, 0>;
        this.pending = 0;
        const session = this.app.session;
        try {
          await this.runner!.run(level);
        } catch (e) {
          await this.runner!.failed(e, session);
        }
      }
    } finally {
      this.running = null;
      if (!this.app.weightsBusy) setPhase(this.app, 'idle');
      this.notifyIdle();
    }
  }
}

export function setPhase(app: AppState, phase: Phase): void {
  app.phase = phase;
  document.body.dataset.state = phase;
  $('results').setAttribute('aria-busy', String(phase === 'busy'));
  if (phase === 'idle') setStatus(readyText(app));
}

export function readyText(app: AppState): string {
  if (!app.gpu) return 'WebGPU is unavailable: pictures can be viewed, not explained.';
  if (app.sessionStarting) return `${app.sessionStarting}: the picture is explained as soon as the GPU is ready.`;
  if (!app.weights) return 'Choose weights to start.';
  if (!app.session) return 'No GPU session: the message above says why.';
  if (!app.image) return 'Ready: pick an image.';
  if (app.cam && !app.precomputed) return `Done: Grad-CAM of “${IMAGENET_LABELS[app.cam.target]}” at ${app.cam.layer}.`;
  return 'Ready.';
}

/** The network input's buffers of the current image: freed when the image or the session changes. */
export function releasePrepared(app: AppState): void {
  const p = app.prepared;
  app.prepared = null;
  if (!p) return;
  try {
    if (!p.session.ctx.isLost) p.input.release();
  } catch {
    // the device went away with the buffer
  }
}

/**
 * The CAM methods the method picker offers, by URL id. Only Grad-CAM (`Wgcam.gradcam`) today; when the library
 * has its method registry, this list comes from it and the job passes `method` through.
 */
export const METHODS: ReadonlyArray<{ id: string; title: string }> = [{ id: 'gradcam', title: 'Grad-CAM' }];

/** The layers a CAM can be taken at: every module with a spatial output (not avgpool or fc). */
export function camLayers(): string[] {
  return modulePaths().filter((p) => p !== 'avgpool' && p !== 'fc');
}
