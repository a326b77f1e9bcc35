// A labelled contact sheet: per image, one row of tiles (the picture, then one overlay per CAM method), each
// tile under a caption in a small built-in bitmap font. Pure data in, RGB bytes out (browser-safe).
import type { RgbImage } from './types.ts';

/** 5 x 7 glyphs, one string of 7 rows of 5 pixels each ('#' = ink); the characters CAM method names use. */
const GLYPHS: Record<string, string> = {
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... ####. #...# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #.... .###.',
  d: '....# ....# .#### #...# #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#... ###.. .#... .#... .#... .#...',
  g: '..... .#### #...# #...# .#### ....# .###.',
  h: '#.... #.... ####. #...# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#',
  n: '..... ..... ####. #...# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ####. #...# #...# ####. #.... #....',
  q: '..... .#### #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .#### #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '####. ....# ....# .###. ....# ....# ####.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '.###. #.... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ....# .###.',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '_': '..... ..... ..... ..... ..... ..... #####',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ' ': '..... ..... ..... ..... ..... ..... .....',
};

const GLYPH_W = 5;
const GLYPH_H = 7;
/** Caption band above each tile: the glyphs' height plus 3 pixels of margin above and below. */
export const CAPTION_HEIGHT = GLYPH_H + 6;

/** Draw `text` (lower-cased; unknown characters as blanks) into img at (x, y), clipped to x + maxWidth. */
function drawText(img: RgbImage, text: string, x: number, y: number, maxWidth: number, colour: readonly [number, number, number]): void {
  let cx = x;
  for (const ch of text.toLowerCase()) {
    const rows = (GLYPHS[ch] ?? GLYPHS[' ']!).split(' ');
    for (let gy = 0; gy < GLYPH_H; gy++) {
      for (let gx = 0; gx < GLYPH_W; gx++) {
        const px = cx + gx;
        if (rows[gy]![gx] !== '#' || px >= x + maxWidth || px >= img.width) continue;
        const k = ((y + gy) * img.width + px) * 3;
        img.data[k] = colour[0];
        img.data[k + 1] = colour[1];
        img.data[k + 2] = colour[2];
      }
    }
    cx += GLYPH_W + 1;
  }
}

/** One tile: its caption and its [height, width, 3] RGB bytes. */
export interface SheetTile {
  label: string;
  rgb: Uint8Array;
}

/**
 * rows[r] = the tiles of row r (all tiles `width` x `height`), laid out left to right with a 2-pixel white gap
 * and a caption band (black text on white) above each tile.
 */
export function contactSheet(rows: ReadonlyArray<readonly SheetTile[]>, width: number, height: number): RgbImage {
  const gap = 2;
  const columns = Math.max(...rows.map((r) => r.length));
  const sheetW = columns * width + (columns + 1) * gap;
  const rowH = CAPTION_HEIGHT + height;
  const sheetH = rows.length * rowH + (rows.length + 1) * gap;
  const img: RgbImage = { width: sheetW, height: sheetH, data: new Uint8Array(sheetW * sheetH * 3).fill(255) };
  rows.forEach((tiles, r) => {
    const top = gap + r * (rowH + gap);
    tiles.forEach((tile, t) => {
      if (tile.rgb.length !== width * height * 3) throw new Error(`contactSheet: tile "${tile.label}" has ${tile.rgb.length} bytes for ${width}x${height}`);
      const left = gap + t * (width + gap);
      drawText(img, tile.label, left + 1, top + 3, width - 1, [0, 0, 0]);
      for (let y = 0; y < height; y++) {
        img.data.set(tile.rgb.subarray(y * width * 3, (y + 1) * width * 3), ((top + CAPTION_HEIGHT + y) * sheetW + left) * 3);
      }
    });
  });
  return img;
}
