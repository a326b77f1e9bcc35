/** A decoded picture: 8-bit RGB, row-major, interleaved (H x W x 3). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}
