// What the CLI commands share: opening a session (weights + device), reading inputs, writing dumps.
import { basename } from 'node:path';
import { WgcamError } from '../errors.ts';
import { warmUpEntries, type GpuContext } from '../gpu/context.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { readSafetensors, toFloat32, toUint8, writeSafetensors } from '../model/safetensors.ts';
import { createNodeGpuContext } from '../node/gpu.ts';
import { loadWeightsNode, weightsPath } from '../node/weights_node.ts';
import { checkDistinct, checkOutputFile, checkOutputFolder, writeFileAtomic } from '../node/output_paths.ts';
import { MAX_TENSOR_FILE_BYTES, readBounded } from '../node/read_bounded.ts';
import { quote } from '../quote.ts';
import { checkFinite, checkInputShape } from '../input_checks.ts';
import type { RgbImage } from '../image/types.ts';
import type { GradCamOptions } from '../cam/explain.ts';
import { timeCompilesByDispatch } from '../gpu/dispatch_warmup.ts';
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
  // Where the driver compiles at the first dispatch (lavapipe), making a pipeline compiles nothing, and its
  // wall clock is mostly waiting for the queue: no slowest one to name.
  const atDispatch = ctx.kernels.compileAhead === 'dispatch';
  const slowest = s.count > 0 && !atDispatch ? `, slowest ${s.slowestMs.toFixed(0)} ms: ${s.slowestLabel}` : '';
  const onDemand = `${s.count} on demand (${s.compileMs.toFixed(0)} ms${slowest}${atDispatch && s.count > 0 ? '; this driver compiles them at their first dispatch' : ''})`;
  return `pipelines: ${s.ahead > 0 ? `${s.ahead} compiled ahead (in parallel, ${s.aheadMs.toFixed(0)} ms wall clock), ` : ''}${onDemand}`;
}

/**
 * Each pipeline of one Grad-CAM (`options`, at size x size) timed at its first dispatch, one by one
 * (gpu/dispatch_warmup.ts, timeCompilesByDispatch), for `wgcam info --verbose` on drivers that compile there.
 */
export async function describeFirstDispatchCompiles(session: Wgcam, size: number, options: GradCamOptions): Promise<string> {
  const recorded = await session.rehearse([1, 3, size, size], { kind: 'gradcam', options });
  const times = await timeCompilesByDispatch(session.ctx.device, warmUpEntries(recorded));
  const total = times.reduce((sum, t) => sum + t.ms, 0);
  const slowest = [...times].sort((a, b) => b.ms - a.ms).slice(0, 3).map((t) => `${t.label} ${t.ms.toFixed(0)} ms`);
  return `compiles at first dispatch (this driver), timed one by one: ${times.length} pipelines, ${total.toFixed(0)} ms in all; slowest ${slowest.join(', ')} (the driver's shader cache as it was)`;
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

/** The inputs as read and checked on the CPU, before any GPU work. */
export interface HostInputs {
  /** Decoded pictures (--image), or null for a --tensor file. */
  images: RgbImage[] | null;
  /** The --tensor file's input [N,3,H,W]. */
  tensor: { data: Float32Array; shape: number[] } | null;
  /** --tensor's pictures (its `image` tensor), when present. */
  pictures: Array<Uint8Array | null>;
  names: string[];
  /** The files read, which no output may replace. */
  files: string[];
}

/** The network input's shape for these inputs: [N,3,224,224] for pictures (centre crops), the tensor's own otherwise. */
export function hostInputShape(host: HostInputs): number[] {
  return host.tensor ? [...host.tensor.shape] : [host.images!.length, 3, 224, 224];
}

/** Read, decode and check the inputs --image or --tensor name; nothing touches the GPU. */
export async function readInputs(flags: ParsedFlags): Promise<HostInputs> {
  const images = flags.image as string[] | undefined;
  const tensorPath = flags.tensor as string | undefined;
  if (images && tensorPath) throw new WgcamError('BAD_ARGUMENT', 'pass either --image or --tensor, not both');
  if (!images && !tensorPath) throw new WgcamError('BAD_ARGUMENT', 'nothing to run on: pass --image FILE... or --tensor FILE.safetensors');
  if (images) {
    // Decoders load only when images are given.
    const { decodeImageFile } = await import('../image/decode_node.ts');
    const decoded: RgbImage[] = [];
    for (const path of images) decoded.push(await decodeImageFile(path));
    return { images: decoded, tensor: null, pictures: images.map(() => null), names: images.map((p) => basename(p)), files: [...images] };
  }
  const path = tensorPath!;
  const file = readSafetensors(await readTensorFile(path));
  const raw = file.tensors.get('input');
  if (!raw) throw new WgcamError('TENSOR_MISSING_INPUT', `${quote(path)} has no tensor named "input": it needs input [N,3,H,W] float32`);
  checkInputShape(raw.shape, `"input" in ${quote(path)}`);
  const [n, , h, w] = raw.shape as [number, number, number, number];
  const data = toFloat32(raw);
  checkFinite(data, raw.shape, `"input" in ${quote(path)}`);
  const pictures: Array<Uint8Array | null> = new Array(n).fill(null);
  const image = file.tensors.get('image');
  if (image) {
    const shape = image.shape.length === 3 ? [1, ...image.shape] : image.shape;
    if (image.dtype !== 'U8' || shape.length !== 4 || shape[0] !== n || shape[1] !== h || shape[2] !== w || shape[3] !== 3) {
      throw new WgcamError('BAD_INPUT_SHAPE', `"image" in ${quote(path)} must be uint8 [${h},${w},3] or [${n},${h},${w},3] to match the input, got ${image.dtype} [${image.shape.join(',')}]`);
    }
    const bytesPerImage = h * w * 3;
    const all = toUint8(image);
    for (let i = 0; i < n; i++) pictures[i] = all.subarray(i * bytesPerImage, (i + 1) * bytesPerImage);
  }
  const names = Array.from({ length: n }, (_, i) => (n === 1 ? basename(path) : `${basename(path)}[${i}]`));
  return { images: null, tensor: { data, shape: raw.shape }, pictures, names, files: [path] };
}

/** Upload checked inputs: pictures are resized and cropped on the GPU, a tensor goes up as it is. */
export async function uploadInputs(session: Wgcam, host: HostInputs): Promise<Inputs> {
  const ctx = session.ctx;
  if (host.images) {
    const { preprocessImages } = await import('../image/preprocess.ts');
    const { input, crops } = await preprocessImages(ctx, host.images);
    return { input, pictures: crops.map((c) => c.data), names: host.names };
  }
  const t = host.tensor!;
  return { input: ctx.upload(t.data, t.shape, 'f32', 'input'), pictures: host.pictures, names: host.names };
}

/** The input files and the weights file (when the weights are one): outputs may not replace them. */
export function inputFiles(flags: ParsedFlags, host?: HostInputs): string[] {
  const files = [...(host?.files ?? [])];
  const weights = String(flags.weights ?? 'pretrained');
  if (weights !== 'pretrained' && weights !== 'synthetic' && !/^https?:\/\//i.test(weights)) files.push(weightsPath(weights));
  return files;
}

/** An output path and what it is for; a folder holds several files. */
export interface OutputSpec {
  what: string;
  path: string;
  folder?: boolean;
}

/** Check every output of a run before its work starts (see node/output_paths.ts). */
export async function checkOutputs(outputs: readonly OutputSpec[], inputs: readonly string[]): Promise<void> {
  checkDistinct(outputs.filter((o) => !o.folder).map((o) => [o.what, o.path] as const));
  for (const o of outputs) {
    if (o.folder) await checkOutputFolder(o.path, { what: o.what });
    else await checkOutputFile(o.path, { what: o.what, inputs });
  }
}

export async function readTensorFile(path: string): Promise<Uint8Array> {
  return readBounded(path, { what: '--tensor file', maxBytes: MAX_TENSOR_FILE_BYTES, notFound: (m) => new WgcamError('FILE_NOT_FOUND', m), empty: (m) => new WgcamError('FILE_NOT_FOUND', m), hint: 'use --image with a picture' });
}

export type DumpEntry = [string, { shape: number[]; data: Float32Array | Uint8Array }];

/** Write tensors as safetensors, atomically (a temp file renamed), so a failed run never leaves half a file. */
export async function dumpTensors(path: string, entries: DumpEntry[], metadata: Record<string, string>): Promise<void> {
  const bytes = writeSafetensors(
    entries.map(([name, t]) => ({ name, dtype: t.data instanceof Uint8Array ? 'U8' : 'F32', shape: t.shape, data: t.data })),
    metadata,
  );
  await writeFileAtomic(path, bytes, { what: '--dump' });
}

/** Write a whole file through a temporary file and a rename (node/output_paths.ts). */
export async function writeAtomically(path: string, bytes: Uint8Array, what = 'output'): Promise<void> {
  await writeFileAtomic(path, bytes, { what });
}
