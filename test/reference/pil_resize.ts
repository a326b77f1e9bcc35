// An independent reference of PIL's Image.resize(BILINEAR) for 8-bit RGB (libImaging/Resample.c): separable,
// horizontal pass first, triangle filter widened by the scale (antialiasing), weights normalised, converted to
// 22-bit fixed point, each pass rounded and clamped to 0..255. Written from the algorithm, in plain loops.
import type { RgbImage } from '../../src/image/types.ts';

function coefficients(inSize: number, outSize: number): Array<{ start: number; weights: number[] }> {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filterScale;
  const out = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const start = Math.max(0, Math.trunc(center - support + 0.5));
    const end = Math.min(inSize, Math.trunc(center + support + 0.5));
    const raw: number[] = [];
    for (let x = start; x < end; x++) raw.push(Math.max(0, 1 - Math.abs((x - center + 0.5) / filterScale)));
    const sum = raw.reduce((a, b) => a + b, 0);
    out.push({ start, weights: raw.map((w) => Math.trunc(0.5 + (w / sum) * 4194304)) });
  }
  return out;
}

function pass(src: Uint8Array, w: number, h: number, outLen: number, horizontal: boolean): Uint8Array {
  const ow = horizontal ? outLen : w;
  const oh = horizontal ? h : outLen;
  const dst = new Uint8Array(ow * oh * 3);
  const coeffs = coefficients(horizontal ? w : h, outLen);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const { start, weights } = coeffs[horizontal ? x : y]!;
      for (let c = 0; c < 3; c++) {
        let acc = 2097152;
        weights.forEach((k, t) => {
          const sx = horizontal ? start + t : x;
          const sy = horizontal ? y : start + t;
          acc += src[(sy * w + sx) * 3 + c]! * k;
        });
        dst[(y * ow + x) * 3 + c] = Math.min(255, Math.max(0, Math.floor(acc / 4194304)));
      }
    }
  }
  return dst;
}

export function pilResizeReference(img: RgbImage, outW: number, outH: number): Uint8Array {
  let data = img.data;
  let w = img.width;
  if (outW !== img.width) {
    data = pass(data, img.width, img.height, outW, true);
    w = outW;
  }
  if (outH !== img.height) data = pass(data, w, img.height, outH, false);
  return data;
}
