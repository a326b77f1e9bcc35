// `wgcam cam --method M[,M...]`: the CAM method family through Wgcam.explain (src/cam/explain.ts), its dump keys
// (`method.<M>.map`, `method.<M>.overlay`, with `.eigen_smooth` before the last part under --eigen-smooth, as
// the fixtures name them), one overlay PNG per method and image, and with `--method all` a labelled contact sheet.
import { join } from 'node:path';
import { fileStem, uniqueStems } from '../node/output_paths.ts';
import { escapeControl } from '../quote.ts';
import type { ColormapName } from '../cam/colormaps.ts';
import { IMAGENET_LABELS, type Wgcam } from '../session.ts';
import { contactSheet, type SheetTile } from '../image/contact_sheet.ts';
import { WgcamError } from '../errors.ts';
import type { CamProgress } from '../cam/method.ts';
import { makeProgressBar, type ProgressBar } from '../node/progress.ts';
import { dumpTensors, writeAtomically, type DumpEntry, type Inputs } from './shared.ts';
import { explainExtraEntries, printMetrics, type ExplainFlagOptions } from './explain.ts';

export interface CamMethodsRun extends ExplainFlagOptions {
  methods: readonly string[];
  layers: readonly string[];
  targets: readonly number[] | 'top';
  colormap: ColormapName;
  alpha: number;
  eigenSmooth: boolean;
  dump?: string;
  /** Where the overlays go (camOutputFiles), checked before the run. */
  files?: CamOutputFiles;
  weights: string;
  verbose: boolean;
  /** `--batch-size`: masked or ablated inputs per forward (scorecam, ablationcam); undefined: each method's default. */
  batchSize?: number;
}

/** ScoreCAM's and AblationCAM's masked forwards on stderr, one bar per method, in the download bar's style. */
function forwardProgress(): (p: CamProgress) => void {
  const bars = new Map<string, ProgressBar>();
  return ({ method, done, total }) => {
    let bar = bars.get(method);
    if (!bar) bars.set(method, (bar = makeProgressBar(method, process.stderr, Date.now, { items: 'forwards' })));
    bar.update(done, total);
    if (done >= total) bar.done();
  };
}

/** A method name in a file name (`gradcam++` -> `gradcampp`). */
function methodFilePart(method: string): string {
  return method.replace(/\+/g, 'p');
}

export interface CamOutputFiles {
  /** `--out` is a folder (otherwise one PNG for one image and one method). */
  folder: boolean;
  /** [image][method]: the overlay files, in the order of the methods. */
  overlays: string[][];
  /** The contact sheet, for several methods. */
  sheet: string | null;
}

/**
 * The files `--out` writes, decided before any work so that they can be checked: one PNG for one image and one
 * method, else a folder with `NAME-cam.png` per image (`NAME-METHOD-cam.png` for several methods), names unique
 * within the run, and for several methods (or `all`) a labelled contact sheet `NAME-methods.png` (`methods.png`
 * for a batch): the picture, then one overlay per method.
 */
export function camOutputFiles(out: string, names: readonly string[], methods: readonly string[], all: boolean): CamOutputFiles {
  if (out.toLowerCase().endsWith('.png')) {
    if (methods.length > 1 || names.length > 1) {
      throw new WgcamError('BAD_ARGUMENT', `--out ${escapeControl(out)} is one PNG, but ${methods.length} methods x ${names.length} images make several: give a folder`);
    }
    return { folder: false, overlays: [[out]], sheet: null };
  }
  const stems = uniqueStems(names.map(fileStem));
  const overlays = stems.map((stem) => methods.map((m) => join(out, methods.length === 1 ? `${stem}-cam.png` : `${stem}-${methodFilePart(m)}-cam.png`)));
  const sheet = all || methods.length > 1 ? join(out, names.length === 1 ? `${stems[0]}-methods.png` : 'methods.png') : null;
  return { folder: true, overlays, sheet };
}

export async function runCamMethods(session: Wgcam, inputs: Inputs, run: CamMethodsRun): Promise<void> {
  const result = await session.explain(inputs.input, {
    methods: run.methods,
    layers: run.layers,
    targets: run.targets,
    pictures: inputs.pictures,
    colormap: run.colormap,
    alpha: run.alpha,
    eigenSmooth: run.eigenSmooth,
    ...(run.batchSize !== undefined ? { batchSize: run.batchSize } : {}),
    ...(run.verbose || process.stderr.isTTY ? { onProgress: forwardProgress() } : {}),
    augSmooth: run.augSmooth,
    guided: run.guided,
    metrics: run.metrics,
  });
  const names = [...result.methods.keys()];
  result.targets.forEach((t, n) => {
    const logit = result.logits.data[n * 1000 + t]!;
    process.stdout.write(`${inputs.names[n]}: target ${t} (${IMAGENET_LABELS[t]}), logit ${logit.toFixed(4)}, layers ${run.layers.join(', ')}, methods ${names.join(', ')}\n`);
  });
  printMetrics(result);
  if (run.verbose) process.stderr.write(`forward ${result.forwardMs.toFixed(0)} ms, total ${result.totalMs.toFixed(0)} ms (wall clock)\n`);
  const [batch, , h, w] = inputs.input.shape as [number, number, number, number];
  const suffix = `${run.augSmooth ? '.aug_smooth' : ''}${run.eigenSmooth ? '.eigen_smooth' : ''}`;
  if (run.dump !== undefined) {
    const entries: DumpEntry[] = [['logits', result.logits]];
    for (const [m, r] of result.methods) {
      entries.push([`method.${m}${suffix}.map`, r.map]);
      if (r.overlay) entries.push([`method.${m}${suffix}.overlay`, { shape: [batch, h, w, 3], data: r.overlay }]);
    }
    entries.push(...explainExtraEntries(result, [batch, h, w]));
    const metadata = { command: 'cam', methods: JSON.stringify(names), layers: JSON.stringify(run.layers), targets: JSON.stringify(result.targets), eigen_smooth: String(run.eigenSmooth), aug_smooth: String(run.augSmooth), weights: run.weights };
    await dumpTensors(run.dump, entries, metadata);
    process.stderr.write(`wrote ${escapeControl(run.dump)}\n`);
  }
  const files = run.files;
  if (files === undefined) return;
  const { encodePng } = await import('../image/decode_node.ts');
  const bytes = h * w * 3;
  const write = async (path: string, width: number, height: number, data: Uint8Array) => {
    await writeAtomically(path, encodePng({ width, height, data }), '--out');
    process.stderr.write(`wrote ${escapeControl(path)}\n`);
  };
  for (let n = 0; n < batch; n++) {
    for (const [i, r] of [...result.methods.values()].entries()) {
      await write(files.overlays[n]![i]!, w, h, r.overlay!.subarray(n * bytes, (n + 1) * bytes));
    }
  }
  if (files.sheet !== null) {
    const rows: SheetTile[][] = inputs.pictures.map((picture, n) => [
      { label: inputs.names[n]!, rgb: picture! },
      ...[...result.methods].map(([m, r]) => ({ label: m, rgb: r.overlay!.subarray(n * bytes, (n + 1) * bytes) })),
    ]);
    const sheet = contactSheet(rows, w, h);
    await write(files.sheet, sheet.width, sheet.height, sheet.data);
  }
}
