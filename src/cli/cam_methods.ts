// `wgcam cam --method M[,M...]`: the CAM method family through Wgcam.explain (src/cam/explain.ts), its dump keys
// (`method.<M>.map`, `method.<M>.overlay`, with `.eigen_smooth` before the last part under --eigen-smooth, as
// the fixtures name them), one overlay PNG per method and image, and with `--method all` a labelled contact sheet.
import { join } from 'node:path';
import type { ColormapName } from '../cam/colormaps.ts';
import { IMAGENET_LABELS, type Wgcam } from '../session.ts';
import { contactSheet, type SheetTile } from '../image/contact_sheet.ts';
import { WgcamError } from '../errors.ts';
import { dumpTensors, writeAtomically, type DumpEntry, type Inputs } from './shared.ts';
import { explainExtraEntries, printMetrics, type ExplainFlagOptions } from './explain.ts';

export interface CamMethodsRun extends ExplainFlagOptions {
  methods: readonly string[];
  /** The user asked for `all` (the contact sheet goes with it). */
  all: boolean;
  layers: readonly string[];
  targets: readonly number[] | 'top';
  colormap: ColormapName;
  alpha: number;
  eigenSmooth: boolean;
  dump?: string;
  out?: string;
  weights: string;
  verbose: boolean;
}

/** A file-name stem for an image name (`chelsea.png` -> `chelsea`). */
export function fileStem(name: string): string {
  return name.replace(/\.[A-Za-z0-9]+$/, '').replace(/[^\w.-]+/g, '_');
}

/** A method name in a file name (`gradcam++` -> `gradcampp`). */
function methodFilePart(method: string): string {
  return method.replace(/\+/g, 'p').replace(/[^\w.-]+/g, '_');
}

/** Checks that need no GPU: `--out FILE.png` takes one method and one image. */
export function checkMethodsOut(out: string | undefined, methods: readonly string[], images: number): void {
  if (out === undefined || !out.toLowerCase().endsWith('.png')) return;
  if (methods.length > 1 || images > 1) {
    throw new WgcamError('BAD_ARGUMENT', `--out ${out} is one PNG, but ${methods.length} methods x ${images} images make several: give a folder`);
  }
}

export async function runCamMethods(session: Wgcam, inputs: Inputs, run: CamMethodsRun): Promise<void> {
  checkMethodsOut(run.out, run.methods, inputs.names.length);
  const result = await session.explain(inputs.input, {
    methods: run.methods,
    layers: run.layers,
    targets: run.targets,
    pictures: inputs.pictures,
    colormap: run.colormap,
    alpha: run.alpha,
    eigenSmooth: run.eigenSmooth,
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
    process.stderr.write(`wrote ${run.dump}\n`);
  }
  if (run.out === undefined) return;
  const { encodePng } = await import('../image/decode_node.ts');
  const bytes = h * w * 3;
  const write = async (path: string, width: number, height: number, data: Uint8Array) => {
    await writeAtomically(path, encodePng({ width, height, data }));
    process.stderr.write(`wrote ${path}\n`);
  };
  const single = run.out.toLowerCase().endsWith('.png');
  for (let n = 0; n < batch; n++) {
    for (const [m, r] of result.methods) {
      const stem = fileStem(inputs.names[n]!);
      const path = single ? run.out : join(run.out, names.length === 1 ? `${stem}-cam.png` : `${stem}-${methodFilePart(m)}-cam.png`);
      await write(path, w, h, r.overlay!.subarray(n * bytes, (n + 1) * bytes));
    }
  }
  if (run.all && !single) {
    const rows: SheetTile[][] = inputs.pictures.map((picture, n) => [
      { label: inputs.names[n]!, rgb: picture! },
      ...[...result.methods].map(([m, r]) => ({ label: m, rgb: r.overlay!.subarray(n * bytes, (n + 1) * bytes) })),
    ]);
    const sheet = contactSheet(rows, w, h);
    await write(join(run.out, batch === 1 ? `${fileStem(inputs.names[0]!)}-methods.png` : 'methods.png'), sheet.width, sheet.height, sheet.data);
  }
}
