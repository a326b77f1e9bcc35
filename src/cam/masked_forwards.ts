// The batched forwards of the perturbation methods (ScoreCAM, AblationCAM): thousands of them, so they are
// submitted batch by batch, with at most two batches in flight (the CPU encodes the next while the GPU runs the
// previous, and memory stays bounded), and progress is reported as batches finish on the GPU.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { WgcamError } from '../errors.ts';
import type { CamRun } from './method.ts';

/** Called as masked forwards finish: `done` of `total` (every image, layer and channel of the call). */
export type ForwardProgress = (done: number, total: number) => void;

/** The library's batch sizes when none is given: ScoreCAM's 16, AblationCAM's 32 (pytorch-grad-cam). */
export const DEFAULT_BATCH_SIZE = { scorecam: 16, ablationcam: 32 } as const;

export function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) {
    throw new WgcamError('BAD_ARGUMENT', `the batch size must be an integer in [1, 4096], got ${batchSize}`);
  }
}

export class MaskedForwards {
  private done = 0;
  private pending: { finished: Promise<unknown>; count: number } | null = null;

  constructor(
    private readonly ctx: GpuContext,
    readonly total: number,
    private readonly onProgress?: ForwardProgress,
  ) {}

  /** A batch of `count` forwards is encoded: submit it, then wait for the one before it and report that. */
  async encoded(count: number): Promise<void> {
    this.ctx.flush();
    const finished = this.ctx.device.queue.onSubmittedWorkDone();
    await this.settle();
    this.pending = { finished, count };
  }

  /** Wait for the last batch and report it. */
  async finish(): Promise<void> {
    await this.settle();
  }

  private async settle(): Promise<void> {
    if (!this.pending) return;
    const { finished, count } = this.pending;
    this.pending = null;
    await finished;
    this.done += count;
    this.onProgress?.(this.done, this.total);
  }
}

/**
 * The progress of one method over one explanation: every target layer's N * C forwards together, reported
 * through `run.progress` under the method's name.
 */
export function methodForwards(run: CamRun, method: string): MaskedForwards {
  let byMethod = RUNS.get(run);
  if (!byMethod) RUNS.set(run, (byMethod = new Map()));
  let forwards = byMethod.get(method);
  if (!forwards) {
    const total = run.layers.reduce((sum, layer) => {
      const [n = 0, c = 0] = run.captured.get(layer)?.shape ?? [];
      return sum + n * c;
    }, 0);
    forwards = new MaskedForwards(run.ctx, total, (done, all) => run.progress({ method, done, total: all }));
    byMethod.set(method, forwards);
  }
  return forwards;
}

const RUNS = new WeakMap<CamRun, Map<string, MaskedForwards>>();

/** The perturbation methods combine channels as the gradient ones do, so their target layers must be NCHW. */
export function checkSpatialLayer(method: string, layer: string, act: Tensor): void {
  if (act.shape.length !== 4) {
    throw new WgcamError('BAD_ARGUMENT', `${method} needs a target layer with an NCHW output; ${layer} is [${act.shape.join(',')}]: use e.g. layer4`);
  }
}
