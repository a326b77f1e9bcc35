// The batched forwards of the perturbation methods (ScoreCAM, AblationCAM): thousands of them, so they are
// submitted batch by batch, with at most two batches in flight (the CPU encodes the next while the GPU runs the
// previous, and memory stays bounded), and progress is reported as batches finish on the GPU.
import type { GpuContext } from '../gpu/context.ts';
import { WgcamError } from '../errors.ts';

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
