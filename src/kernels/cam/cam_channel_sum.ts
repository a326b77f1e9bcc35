import type { GpuContext } from '../../gpu/context.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import termSnippet from './cam_term.wgsl?raw';
import source from './cam_channel_sum.wgsl?raw';
import termsSource from './cam_terms.wgsl?raw';
import { ELEMENTWISE_WORKGROUP } from '../launch.ts';
import { constants, groups1d, params, shader } from '../wgsl.ts';

/**
 * How a CAM combines a channel's activations with `aux` (cam_term.wgsl): `weighted` = weights [N, C] times act,
 * `product` = gradient times act, `reluProduct` = max(0, gradient times act), `reluGrad` = max(0, gradient)
 * times act (aux the gradient, [N, C, h, w]).
 */
export type CamTerm = 'weighted' | 'product' | 'reluProduct' | 'reluGrad';

const TERMS: Record<CamTerm, number> = { weighted: 0, product: 1, reluProduct: 2, reluGrad: 3 };

function check(act: Tensor, aux: Tensor, term: CamTerm): [number, number, number, number] {
  const [n, c, h, w] = act.shape as [number, number, number, number];
  const want = term === 'weighted' ? n * c : act.size;
  if (act.shape.length !== 4 || aux.size !== want) {
    throw new Error(`CAM ${term} term: aux [${aux.shape.join(',')}] for activations [${act.shape.join(',')}]`);
  }
  return [n, c, h, w];
}

/** raw [N, h, w] = max(0, sum over channels of the term), act [N, C, h, w]. */
export function camChannelSum(ctx: GpuContext, act: Tensor, aux: Tensor, term: CamTerm): Tensor {
  const [n, c, h, w] = check(act, aux, term);
  const raw = ctx.empty([n, h, w], 'f32', 'cam raw');
  const tiles = Math.ceil((h * w) / 32);
  ctx.dispatch(
    ctx.pipeline(shader(constants({ TERM: TERMS[term] }), termSnippet, source), 'cam_channel_sum'),
    [ctx.uniform(params([n, c, h * w])), act, aux, raw],
    [n * tiles],
    `cam channel sum ${term} ${c}x${h}x${w}`,
  );
  return raw;
}

/** Grad-CAM's channel-weighted sum with ReLU: act [N, C, h, w], weights [N, C] -> raw [N, h, w]. */
export function camWeightedSum(ctx: GpuContext, act: Tensor, weights: Tensor): Tensor {
  return camChannelSum(ctx, act, weights, 'weighted');
}

/** The terms themselves, [N, C, h, w] (for eigen_smooth's principal component). */
export function camTerms(ctx: GpuContext, act: Tensor, aux: Tensor, term: CamTerm): Tensor {
  const [, c, h, w] = check(act, aux, term);
  const y = ctx.empty(act.shape, 'f32', 'cam terms');
  ctx.dispatch(
    ctx.pipeline(shader(constants({ TERM: TERMS[term] }), termSnippet, termsSource), 'cam_terms'),
    [ctx.uniform(params([act.size, c, h * w])), act, aux, y],
    groups1d(act.size, ELEMENTWISE_WORKGROUP),
    `cam terms ${term} ${c}x${h}x${w}`,
  );
  return y;
}
