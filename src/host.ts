// Host-side results: tensors read back from the GPU in PyTorch's layout, and the top-K of logits. Shared by the
// session (src/session.ts) and the CAM orchestration (src/cam/explain.ts).
import type { GpuContext } from './gpu/context.ts';
import type { Tensor } from './gpu/tensor.ts';
import { NUM_CLASSES } from './model/architecture.ts';
import labels from './model/imagenet_classes.json' with { type: 'json' };

export const IMAGENET_LABELS: readonly string[] = labels as string[];

/** A tensor read back to the CPU. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface Prediction {
  index: number;
  label: string;
  probability: number;
  logit: number;
}

export async function readHost(t: Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: await t.read() };
}

/** Several tensors read back in one round trip (GpuContext.readMany), in order. */
export async function readHostAll(ctx: GpuContext, ts: readonly Tensor[]): Promise<HostTensor[]> {
  const data = await ctx.readMany(ts);
  return ts.map((t, i) => ({ shape: [...t.shape], data: data[i]! }));
}

/** Top-K classes per row, ties broken by the lower index (as torch.topk on CPU does in practice). */
export function topK(logits: HostTensor, probs: HostTensor, k: number): Prediction[][] {
  const [rows] = logits.shape as [number];
  const out: Prediction[][] = [];
  for (let n = 0; n < rows; n++) {
    const order = Array.from({ length: NUM_CLASSES }, (_, i) => i);
    const row = logits.data.subarray(n * NUM_CLASSES, (n + 1) * NUM_CLASSES);
    order.sort((a, b) => row[b]! - row[a]! || a - b);
    out.push(
      order.slice(0, k).map((index) => ({
        index,
        label: IMAGENET_LABELS[index] ?? String(index),
        probability: probs.data[n * NUM_CLASSES + index]!,
        logit: row[index]!,
      })),
    );
  }
  return out;
}
