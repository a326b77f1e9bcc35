// pytorch-grad-cam's aug_smooth (BaseCAM.forward_augmentation_smoothing): the whole explanation runs on each
// test-time augmentation of ttach's Compose([HorizontalFlip(), Multiply(factors=[0.9, 1, 1.1])]), six in
// itertools.product order (no flip with 0.9, 1, 1.1, then flipped with the same), each run resolving its own
// targets when none were given, as the library's forward does; each final map is de-augmented (flipped back)
// and the six are averaged in float32. The un-augmented run is the plain explanation, whose maps are reused.
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { ttaAugment } from '../kernels/cam/tta_augment.ts';
import { ttaMeanAdd } from '../kernels/cam/tta_mean.ts';

export interface TtaAugmentation {
  flip: boolean;
  factor: number;
}

export const TTA_AUGMENTATIONS: readonly TtaAugmentation[] = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));

/**
 * The aug_smooth maps, one per method: `plainMaps` are the maps of the input itself; `mapsFor` runs the
 * explanation on an augmented input and returns its maps in the same order (released here). The caller releases
 * the returned means.
 */
export async function augmentationSmoothing(
  ctx: GpuContext,
  input: Tensor,
  plainMaps: readonly Tensor[],
  mapsFor: (augmented: Tensor) => Promise<Tensor[]>,
): Promise<Tensor[]> {
  const sums = plainMaps.map((m) => ctx.empty(m.shape, 'f32', 'aug_smooth map'));
  try {
    for (const [run, { flip, factor }] of TTA_AUGMENTATIONS.entries()) {
      const plain = !flip && factor === 1;
      let maps: readonly Tensor[] = plainMaps;
      if (!plain) {
        const augmented = ttaAugment(ctx, input, flip, factor);
        try {
          maps = await mapsFor(augmented);
        } finally {
          augmented.release();
        }
      }
      maps.forEach((m, i) => ttaMeanAdd(ctx, m, sums[i]!, { flip, run, runs: TTA_AUGMENTATIONS.length }));
      if (!plain) for (const m of maps) m.release();
    }
    return sums;
  } catch (e) {
    for (const s of sums) s.release();
    throw e;
  }
}
