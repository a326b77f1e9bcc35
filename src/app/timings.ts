// Per-stage and per-kernel times for the timings panel. With timestamp-query the GPU times come from the
// context's profiler (one entry per dispatch, in order); each dispatch is tagged with the stage that was running
// when it was recorded, by watching the context: forward until the backward's seed (made on the GPU, or
// uploaded), backward until the first Grad-CAM kernel, then CAM. Without timestamp-query, only CPU-side
// wall-clock times are shown.
import type { GpuContext, KernelTiming } from '../gpu/context.ts';

export type Stage = 'preprocess' | 'classify' | 'forward' | 'backward' | 'cam' | 'overlay';

export interface TaggedTiming extends KernelTiming {
  stage: Stage;
}

export interface KernelRow {
  label: string;
  stage: Stage;
  count: number;
  ms: number;
}

export interface StageRow {
  stage: string;
  ms: number;
}

export interface TimingReport {
  source: 'gpu' | 'cpu';
  stages: StageRow[];
  kernels: KernelRow[];
  note: string;
}

/**
 * The first kernels of the Grad-CAM step proper, by their dispatch labels (src/kernels/cam_*.ts and the
 * gradient's spatial mean, which is the forward global-avgpool kernel: "avgpool 7x7"). Backward kernels are
 * labelled "conv2d dx", "batchnorm dx", "relu_backward", "global_avgpool_backward"..., so none matches.
 */
const CAM_LABEL = /^(avgpool |cam[ _]|overlay)/;

interface Tagged {
  label: string;
  stage: Stage;
}

/**
 * Watches one GpuContext: tags every dispatch with the current stage, and counts the pipelines compiled (for the
 * progress display). Installs thin wrappers on the
 * instance (not the class), so other contexts are untouched; `uninstall` restores them.
 */
export class StageTracker {
  private stage: Stage = 'forward';
  private tags: Tagged[] = [];
  private readonly originalDispatch: GpuContext['dispatch'];
  private readonly originalUpload: GpuContext['upload'];
  private readonly originalPipeline: GpuContext['pipeline'];
  /** Pipelines created (compiled) since the stage last changed. */
  compiled = 0;
  /** Called when the stage changes and when a pipeline is compiled (the progress display). */
  onActivity: ((stage: Stage, compiled: number) => void) | null = null;

  constructor(private readonly ctx: GpuContext) {
    this.originalDispatch = ctx.dispatch;
    this.originalUpload = ctx.upload;
    this.originalPipeline = ctx.pipeline;
    const self = this;
    const pipeline: GpuContext['pipeline'] = function (this: GpuContext, code, label) {
      const before = this.pipelineCount;
      const p = self.originalPipeline.call(this, code, label);
      if (this.pipelineCount > before) {
        self.compiled++;
        self.onActivity?.(self.stage, self.compiled);
      }
      return p;
    };
    const dispatch: GpuContext['dispatch'] = function (this: GpuContext, pipeline, bindings, workgroups, label) {
      const [x, y = 1, z = 1] = workgroups;
      // The context records no timestamps for an empty dispatch: keep the two lists aligned.
      if (x !== 0 && y !== 0 && z !== 0) {
        // The backward starts with its seed: made on the GPU for the top class, uploaded for a chosen one.
        if (label.startsWith('top class seed')) self.moveTo('backward');
        else if (self.stage === 'backward' && CAM_LABEL.test(label)) self.moveTo('cam');
        self.tags.push({ label, stage: self.stage });
      }
      return self.originalDispatch.call(this, pipeline, bindings, workgroups, label);
    };
    const upload: GpuContext['upload'] = function (this: GpuContext, data, shape, dtype, label = '') {
      if (label === 'seed') self.moveTo('backward');
      return self.originalUpload.call(this, data, shape, dtype, label);
    };
    Object.assign(ctx, { dispatch, upload, pipeline });
  }

  private moveTo(stage: Stage): void {
    this.stage = stage;
    this.compiled = 0;
    this.onActivity?.(stage, 0);
  }

  /** Start a new job: forget earlier tags, and say which stage comes first. */
  begin(stage: Stage): void {
    this.tags = [];
    this.moveTo(stage);
  }

  set(stage: Stage): void {
    this.moveTo(stage);
  }

  /** Pair the profiler's timings (same order as the dispatches) with their stages. */
  tag(timings: readonly KernelTiming[]): TaggedTiming[] {
    const tags = this.tags;
    this.tags = [];
    return timings.map((t, i) => {
      const tag = tags[i];
      const stage: Stage = tag && tag.label === t.label ? tag.stage : CAM_LABEL.test(t.label) ? 'cam' : 'forward';
      return { ...t, stage };
    });
  }

  uninstall(): void {
    this.onActivity = null;
    Object.assign(this.ctx, { dispatch: this.originalDispatch, upload: this.originalUpload, pipeline: this.originalPipeline });
    // Own properties that merely shadow the prototype's methods: drop them.
    delete (this.ctx as unknown as Record<string, unknown>).dispatch;
    delete (this.ctx as unknown as Record<string, unknown>).upload;
    delete (this.ctx as unknown as Record<string, unknown>).pipeline;
  }
}

const STAGE_NAMES: Record<Stage, string> = {
  preprocess: 'Preprocess (resize, crop, normalise)',
  classify: 'Softmax (top-5)',
  forward: 'Grad-CAM forward',
  backward: 'Backward',
  cam: 'CAM (weights, map, resize, overlay)',
  overlay: 'Overlay (redrawn, or over the whole picture)',
};

export function stageName(stage: Stage): string {
  return STAGE_NAMES[stage];
}

/** Sum GPU times per stage and per kernel label. */
export function summariseGpu(timings: readonly TaggedTiming[], note: string): TimingReport {
  const perStage = new Map<Stage, number>();
  const perKernel = new Map<string, KernelRow>();
  for (const t of timings) {
    perStage.set(t.stage, (perStage.get(t.stage) ?? 0) + t.ms);
    const key = `${t.stage}\u0000${t.label}`;
    const row = perKernel.get(key) ?? { label: t.label, stage: t.stage, count: 0, ms: 0 };
    row.count++;
    row.ms += t.ms;
    perKernel.set(key, row);
  }
  const order: Stage[] = ['preprocess', 'forward', 'backward', 'cam', 'classify', 'overlay'];
  const stages: StageRow[] = order.filter((s) => perStage.has(s)).map((s) => ({ stage: stageName(s), ms: perStage.get(s)! }));
  stages.push({ stage: `GPU total (${timings.length} dispatches)`, ms: timings.reduce((a, t) => a + t.ms, 0) });
  const kernels = [...perKernel.values()].sort((a, b) => b.ms - a.ms);
  return { source: 'gpu', stages, kernels, note };
}

export function cpuReport(stages: StageRow[], note: string): TimingReport {
  return { source: 'cpu', stages, kernels: [], note };
}

export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 1) return ms.toFixed(1);
  return ms.toFixed(3);
}
