// Mean softmax cross-entropy of a batch and its gradient with respect to the logits (the seed of a training
// backward pass).
import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import meanSource from '../pool/global_avgpool.wgsl?raw';
import source from './softmax_cross_entropy.wgsl?raw';
import { workgroupReduce } from '../launch.ts';
import { params, shader } from '../wgsl.ts';

/** loss [1] = mean over rows of -log softmax(logits)[label]; dlogits [rows, classes] = (softmax - onehot) / rows. */
export function softmaxCrossEntropy(ctx: GpuContext, logits: Tensor, labels: Tensor): { loss: Tensor; dlogits: Tensor } {
  const [rows, classes] = logits.shape as [number, number];
  if (labels.size !== rows || labels.dtype !== 'u32') throw new Error(`softmaxCrossEntropy: expected ${rows} u32 labels, got ${labels.dtype} [${labels.shape.join(',')}]`);
  const dlogits = ctx.empty(logits.shape, 'f32', 'dlogits');
  const rowLoss = ctx.empty([rows], 'f32', 'cross-entropy rows');
  ctx.dispatch(
    ctx.pipeline(shader(source), 'softmax_cross_entropy'),
    [ctx.uniform(params([rows, classes])), logits, labels, dlogits, rowLoss],
    [rows],
    'softmax cross-entropy',
  );
  // The batch mean is the global average pool of one plane of `rows` values: a fixed-order sum.
  const loss = ctx.empty([1], 'f32', 'loss');
  ctx.dispatch(ctx.pipeline(shader(workgroupReduce(ctx, rows), meanSource), 'global_avgpool'), [ctx.uniform(params([1, rows])), rowLoss, loss], [1], 'cross-entropy mean');
  rowLoss.release();
  return { loss, dlogits };
}
