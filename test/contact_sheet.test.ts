// The contact sheet of `wgcam cam --method all --out DIR` (src/image/contact_sheet.ts): layout, tiles copied
// byte for byte, captions drawn in the caption band only and clipped to their tile. No GPU.
import { expect, test } from 'vitest';
import { CAPTION_HEIGHT, contactSheet } from '../src/image/contact_sheet.ts';

function tile(w: number, h: number, value: number): Uint8Array {
  return new Uint8Array(w * h * 3).fill(value);
}

test('rows of captioned tiles with 2-pixel gaps; tiles copied exactly', () => {
  const [w, h] = [30, 20];
  const sheet = contactSheet(
    [
      [{ label: 'input', rgb: tile(w, h, 10) }, { label: 'gradcam++', rgb: tile(w, h, 20) }],
      [{ label: 'x', rgb: tile(w, h, 30) }, { label: 'gradcamelementwise', rgb: tile(w, h, 40) }],
    ],
    w,
    h,
  );
  expect(sheet.width).toBe(2 * w + 3 * 2);
  expect(sheet.height).toBe(2 * (CAPTION_HEIGHT + h) + 3 * 2);
  const at = (x: number, y: number) => sheet.data[(y * sheet.width + x) * 3]!;
  for (const [r, c, v] of [[0, 0, 10], [0, 1, 20], [1, 0, 30], [1, 1, 40]] as const) {
    const left = 2 + c * (w + 2);
    const top = 2 + r * (CAPTION_HEIGHT + h + 2) + CAPTION_HEIGHT;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(at(left + x, top + y)).toBe(v);
  }
  // Captions: some ink in each band, none in the gaps; the long one is clipped at its tile's right edge.
  let ink = 0;
  for (let y = 2; y < 2 + CAPTION_HEIGHT; y++) for (let x = 2; x < 2 + w; x++) if (at(x, y) === 0) ink++;
  expect(ink).toBeGreaterThan(10);
  for (let y = 0; y < sheet.height; y++) {
    expect(at(2 + w, y)).toBe(255);
    expect(at(2 + w + 1, y)).toBe(255);
    expect(at(sheet.width - 1, y)).toBe(255);
  }
});

test('a tile of the wrong size is an error, not a torn sheet', () => {
  expect(() => contactSheet([[{ label: 'a', rgb: tile(3, 3, 0) }]], 4, 4)).toThrow(/tile "a" has 27 bytes for 4x4/);
});
