// What the page lets people download: the overlay as PNG, the CAM as .npy (NumPy format 1.0, header written
// here) and as safetensors (the core's writer).
import { writeSafetensors } from '../model/safetensors.ts';

/**
 * A NumPy .npy file (format version 1.0) holding little-endian float32 data of the given shape, C order.
 * The header is the magic string, the version, a u16 header length, and a Python dict literal padded with
 * spaces and a newline so that the data starts on a 64-byte boundary (as numpy writes it).
 */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: ${data.length} values for shape [${shape.join(',')}]`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const unpadded = preamble + dict.length + 1; // + '\n'
  const total = Math.ceil(unpadded / 64) * 64;
  const headerText = dict + ' '.repeat(total - unpadded) + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, headerText.length, true);
  for (let i = 0; i < headerText.length; i++) out[preamble + i] = headerText.charCodeAt(i);
  const body = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i]!, true);
  return out;
}

export interface CamExport {
  layer: string;
  target: number;
  label: string;
  weights: string;
  image: string;
  /** [H, W] in [0, 1]. */
  map: Float32Array;
  /** The layer's raw (pre-resize) CAM, [h, w]. */
  raw: { shape: number[]; data: Float32Array } | null;
  overlay: Uint8Array;
  height: number;
  width: number;
}

export function encodeCamSafetensors(cam: CamExport): Uint8Array {
  const tensors = [
    { name: `cam.${cam.layer}.map`, dtype: 'F32' as const, shape: [cam.height, cam.width], data: cam.map },
    { name: `cam.${cam.layer}.overlay`, dtype: 'U8' as const, shape: [cam.height, cam.width, 3], data: cam.overlay },
  ];
  if (cam.raw) tensors.push({ name: `cam.${cam.layer}.raw`, dtype: 'F32' as const, shape: cam.raw.shape, data: cam.raw.data });
  return writeSafetensors(tensors, {
    producer: 'wgcam web app',
    layer: cam.layer,
    target: String(cam.target),
    label: cam.label,
    weights: cam.weights,
    image: cam.image,
  });
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function saveBytes(bytes: Uint8Array, filename: string, type = 'application/octet-stream'): void {
  saveBlob(new Blob([new Uint8Array(bytes)], { type }), filename);
}

/** A file-name-safe stem. */
export function stem(name: string): string {
  return name.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_').slice(0, 60) || 'image';
}
