// Checks of a network input held on the CPU, before it goes to the GPU (the CLI's files, the library's host
// tensors). An input already on the GPU is checked for its shape only: reading it back to look for NaN would
// cost a round trip. Browser-safe.
import { WgcamError } from './errors.ts';

/** [N,3,H,W] with at least one image of at least 32x32. */
export function checkInputShape(shape: readonly number[], what: string): void {
  if (shape.length !== 4 || shape[1] !== 3) throw new WgcamError('BAD_INPUT_SHAPE', `${what} has shape [${shape.join(',')}]: it must be [N,3,H,W]`);
  if (shape[0] === 0) throw new WgcamError('BAD_INPUT_SHAPE', `${what} has shape [${shape.join(',')}], an empty batch: give at least one image`);
  if (shape[2]! < 32 || shape[3]! < 32) throw new WgcamError('BAD_INPUT_SHAPE', `${what} is ${shape[2]}x${shape[3]}, too small for ResNet50: use at least 32x32`);
}

/** NaN or infinite inputs are refused: the network would turn them into plausible-looking classes. */
export function checkFinite(data: Float32Array, shape: readonly number[], what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const count = data.reduce((c, v) => c + (Number.isFinite(v) ? 0 : 1), 0);
      throw new WgcamError('INPUT_NON_FINITE', `${what} [${shape.join(',')}] holds ${count} NaN or infinite values (the first at index ${i}): give finite numbers`);
    }
  }
}
