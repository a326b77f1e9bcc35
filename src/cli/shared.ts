// What the CLI commands share: opening a session (weights + device), reading inputs, writing dumps.
import { readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { WgcamError } from '../errors.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { readSafetensors, toFloat32, toUint8, writeSafetensors } from '../model/safetensors.ts';
import { createNodeGpuContext } from '../node/gpu.ts';
import { loadWeightsNode } from '../node/weights_node.ts';
import { makeProgressBar } from '../node/progress.ts';
import { Wgcam, parsePrecision, type TuningOptions } from '../session.ts';
import { settingsFromEnv } from '../kernels/config.ts';
import { describeGemmTuning } from '../kernels/gemm/tuner.ts';
import { describeKernelConfig } from '../tuning.ts';
import { fileTuningStore } from '../node/tuning_store.ts';
import type { ParsedFlags } from './args.ts';

/** The module outputs `--dump` writes, named `act.<path>` as in the fixtures. */
export const MODULE_DUMP_PATHS = ['maxpool', 'layer1', 'layer2', 'layer3', 'layer4'] as const;

export function describeAdapter(ctx: GpuContext): string {
  const a = ctx.adapter;
  const kind = a.software ? 'software adapter: timings say little about a GPU' : 'hardware adapter';
  const features = [ctx.hasTimestamps ? 'timestamp-query' : '', ctx.hasF16 ? 'shader-f16' : ''].filter(Boolean).join(', ');
  return `adapter: ${a.description} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}; ${kind}${features ? `; ${features}` : ''})`;
}

export async function openSession(flags: ParsedFlags): Promise<Wgcam> {
  const verbose = flags.verbose === true;
  const source = String(flags.weights ?? 'pretrained');
  const bar = makeProgressBar('weights');
  const loaded = await loadWeightsNode(source, { onProgress: bar.update });
  bar.done();
  const ctx = await createNodeGpuContext();
  if (verbose) {
    process.stderr.write(`${describeAdapter(ctx)}\n`);
    process.stderr.write(`weights: ${loaded.description}\n`);
  }
  const session = Wgcam.fromContext(ctx, loaded.weights, createNodeGpuContext, { tuning: nodeTuningOptions(), precision: parsePrecision(flags.precision) });
  if (verbose) {
    process.stderr.write(`precision: ${session.precision} GEMM operands, f32 products and sums\n`);
    const tuning = await session.currentTuning();
    if (tuning) process.stderr.write(`gemm tiles: ${describeGemmTuning(tuning)}${tuning.source === 'prior' ? '; `wgcam tune` measures this adapter' : ''}\n`);
    process.stderr.write(`kernels: ${describeKernelConfig(session.kernels)}\n`);
  }
  return session;
}

/**
 * What the context compiled so far (how many pipelines ahead and on demand, their wall clock, the slowest), for
 * --verbose and `wgcam info --verbose`.
 */
export function describePipelines(ctx: GpuContext): string {
  const s = ctx.pipelineStats;
  const onDemand = `${s.count} on demand (${s.compileMs.toFixed(0)} ms${s.count > 0 ? `, slowest ${s.slowestMs.toFixed(0)} ms: ${s.slowestLabel}` : ''})`;
  return `pipelines: ${s.ahead > 0 ? `${s.ahead} compiled ahead (in parallel, ${s.aheadMs.toFixed(0)} ms wall clock), ` : ''}${onDemand}`;
}

/** The network input's shape for `--image` files: every image is resized and centre-cropped to 224 (preprocess.ts). */
export function imageInputShape(flags: ParsedFlags): number[] | null {
  const images = flags.image as string[] | undefined;
  return images && images.length > 0 && flags.tensor === undefined ? [images.length, 3, 224, 224] : null;
}

/**
 * The tuner's settings in Node: its choice kept in the cache folder; the settings forced through the
 * environment (kernels/config.ts: WGCAM_GEMM_TILES, WGCAM_REDUCTIONS, WGCAM_CONV_FORMS, WGCAM_SPLIT_K).
 */
export function nodeTuningOptions(env: Record<string, string | undefined> = process.env): TuningOptions {
  const s = settingsFromEnv(env);
  return {
    store: fileTuningStore(),
    // A command runs one job and exits: measuring after it would only delay the exit, and measuring before it
    // would delay the result. `wgcam tune` measures and stores the choice the other commands then read.
    measure: 'on-request',
    ...(s.tiles ? { force: s.tiles } : {}),
    ...(s.reductions ? { reductions: s.reductions } : {}),
    ...(s.windows ? { convForms: s.windows } : {}),
    ...(s.splitK ? { splitK: s.splitK } : {}),
  };
}

export interface Inputs {
  /** Normalised network input [N, 3, H, W] on the GPU. */
  input: Tensor;
  /** Per image: the picture for overlays (H x W x 3 uint8, the input's size), when one is known. */
  pictures: Array<Uint8Array | null>;
  names: string[];
}

export async function loadInputs(session: Wgcam, flags: ParsedFlags): Promise<Inputs> {
  const images = flags.image as string[] | undefined;
  const tensorPath = flags.tensor as string | undefined;
  if (images && tensorPath) throw new WgcamError('BAD_ARGUMENT', 'pass either --image or --tensor, not both');
  if (!images && !tensorPath) throw new WgcamError('BAD_ARGUMENT', 'nothing to run on: pass --image FILE... or --tensor FILE.safetensors');
  const ctx = session.ctx;
  if (images) {
    // Decoders load only when images are given.
    const { decodeImageFile } = await import('../image/decode_node.ts');
    const { preprocessImages } = await import('../image/preprocess.ts');
    const decoded = [];
    for (const path of images) decoded.push(await decodeImageFile(path));
    const { input, crops } = await preprocessImages(ctx, decoded);
    return { input, pictures: crops.map((c) => c.data), names: images.map((p) => basename(p)) };
  }
  const bytes = await readInputFile(tensorPath!);
  const file = readSafetensors(bytes);
  const raw = file.tensors.get('input');
  if (!raw) throw new WgcamError('TENSOR_MISSING_INPUT', `${tensorPath} has no tensor named "input": it needs input [N,3,H,W] float32`);
  if (raw.shape.length !== 4 || raw.shape[1] !== 3) {
    throw new WgcamError('BAD_INPUT_SHAPE', `"input" in ${tensorPath} has shape [${raw.shape.join(',')}]: it must be [N,3,H,W]`);
  }
  const [n, , h, w] = raw.shape as [number, number, number, number];
  const input = ctx.upload(toFloat32(raw), raw.shape, 'f32', 'input');
  const pictures: Array<Uint8Array | null> = new Array(n).fill(null);
  const image = file.tensors.get('image');
  if (image) {
    const shape = image.shape.length === 3 ? [1, ...image.shape] : image.shape;
    if (image.dtype !== 'U8' || shape.length !== 4 || shape[0] !== n || shape[1] !== h || shape[2] !== w || shape[3] !== 3) {
      input.release();
      throw new WgcamError('BAD_INPUT_SHAPE', `"image" in ${tensorPath} must be uint8 [${h},${w},3] or [${n},${h},${w},3] to match the input, got ${image.dtype} [${image.shape.join(',')}]`);
    }
    const bytesPerImage = h * w * 3;
    const all = toUint8(image);
    for (let i = 0; i < n; i++) pictures[i] = all.subarray(i * bytesPerImage, (i + 1) * bytesPerImage);
  }
  const names = Array.from({ length: n }, (_, i) => (n === 1 ? basename(tensorPath!) : `${basename(tensorPath!)}[${i}]`));
  return { input, pictures, names };
}

async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WgcamError('FILE_NOT_FOUND', `cannot read ${path} (${code ?? 'error'}): check the path`);
  }
}

export type DumpEntry = [string, { shape: number[]; data: Float32Array | Uint8Array }];

/** Write tensors as safetensors, atomically (a temp file renamed), so a failed run never leaves half a file. */
export async function dumpTensors(path: string, entries: DumpEntry[], metadata: Record<string, string>): Promise<void> {
  const bytes = writeSafetensors(
    entries.map(([name, t]) => ({ name, dtype: t.data instanceof Uint8Array ? 'U8' : 'F32', shape: t.shape, data: t.data })),
    metadata,
  );
  await writeAtomically(path, bytes);
}

export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path) || '.', { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
