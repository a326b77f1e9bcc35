// The commands of `wgcam`. Each one: validate flags, load weights and inputs, run the shared core, print.
import { join } from 'node:path';
import { COLORMAPS, type ColormapName } from '../cam/colormaps.ts';
import { parameterNames } from '../model/architecture.ts';
import { assertCamLayer } from '../model/resnet50.ts';
import { readSafetensors, toInt64Numbers, writeSafetensors } from '../model/safetensors.ts';
import { IMAGENET_LABELS } from '../session.ts';
import { checkParams } from '../cam/explain.ts';
import { tuneAdapter } from '../tuning.ts';
import { WgcamError } from '../errors.ts';
import { VERSION } from '../version.ts';
import type { Command } from './main.ts';
import type { FlagSpec, ParsedFlags } from './args.ts';
import { openSession, readInputs, readTensorFile, uploadInputs, checkOutputs, inputFiles, hostInputShape, describePipelines, describeFirstDispatchCompiles, nodeTuningOptions, dumpTensors, describeAdapter, writeAtomically, type DumpEntry, type Inputs, type OutputSpec } from './shared.ts';
import { escapeControl, quote } from '../quote.ts';
import { plan } from './plan.ts';
import { camOutputFiles, runCamMethods } from './cam_methods.ts';
import { camMethodNames, resolveCamMethods } from '../cam/method.ts';
import { checkBatchSize } from '../cam/masked_forwards.ts';
import { syntheticSafetensors } from '../model/synthetic.ts';
import { MODULE_DUMP_PATHS } from './shared.ts';
import { EXPLAIN_FLAGS, explainFlagOptions, wantsExplain } from './explain.ts';

const COMMON: Record<string, FlagSpec> = {
  weights: { kind: 'string', value: 'SRC', help: 'pretrained | synthetic | PATH.safetensors | - (stdin) | URL', default: 'pretrained' },
  image: { kind: 'list', value: 'FILE', help: 'PNG or JPEG images (resized to 256, centre-cropped to 224)' },
  tensor: { kind: 'string', value: 'FILE', help: 'safetensors with `input` [N,3,H,W] float32 (and optional `image` uint8)' },
  dump: { kind: 'string', value: 'OUT', help: 'write results as safetensors (NCHW float32, names as the fixtures)' },
  precision: { kind: 'string', value: 'f32|f16', help: 'GEMM operands: f32, or f16 where the adapter has shader-f16 (sums stay f32; accuracy in README.md)', default: 'f32' },
  verbose: { kind: 'boolean', help: 'print the adapter, timings, and stacks on errors' },
};

const classify: Command = {
  summary: 'top-K ImageNet classes of images or an input tensor',
  flags: {
    ...COMMON,
    top: { kind: 'number', value: 'K', help: 'how many classes to print per image', default: 5 },
  },
  async run(flags) {
    const top = flags.top as number;
    if (!Number.isInteger(top) || top < 1 || top > 1000) throw new WgcamError('BAD_ARGUMENT', `--top must be an integer in [1, 1000], got ${top}`);
    const verbose = flags.verbose === true;
    const host = await readInputs(flags);
    await checkOutputs(typeof flags.dump === 'string' ? [{ what: '--dump', path: flags.dump }] : [], inputFiles(flags, host));
    const session = await openSession(flags);
    try {
      const capture = flags.dump ? MODULE_DUMP_PATHS : [];
      // The job's kernels compile ahead, all at once (Wgcam.prepare), before the inputs upload.
      await session.prepare(hostInputShape(host), { kind: 'classify', options: { topK: top, capture } });
      const inputs = await uploadInputs(session, host);
      try {
        const started = performance.now();
        const result = await session.classify(inputs.input, { topK: top, capture });
        const elapsed = performance.now() - started;
        printPredictions(inputs, result.top);
        if (verbose) {
          process.stderr.write(`forward + softmax + read-back: ${elapsed.toFixed(0)} ms (wall clock, includes waiting for the pipelines)\n`);
          process.stderr.write(`${describePipelines(session.ctx)}\n`);
        }
        if (typeof flags.dump === 'string') {
          const tensors: Array<[string, { shape: number[]; data: Float32Array }]> = [['logits', result.logits]];
          for (const path of MODULE_DUMP_PATHS) {
            const t = result.activations.get(path);
            if (t) tensors.push([`act.${path}`, t]);
          }
          await dumpTensors(flags.dump, tensors, { command: 'classify', weights: String(flags.weights) });
          process.stderr.write(`wrote ${escapeControl(String(flags.dump))}\n`);
        }
      } finally {
        inputs.input.release();
      }
    } finally {
      session.destroy();
    }
    return 0;
  },
};

function printPredictions(inputs: Inputs, top: Array<Array<{ index: number; label: string; probability: number }>>): void {
  top.forEach((preds, n) => {
    process.stdout.write(`${inputs.names[n] ?? `image ${n}`}\n`);
    preds.forEach((p, k) => {
      process.stdout.write(`  ${String(k + 1).padStart(2)}. ${String(p.index).padStart(3)}  ${p.label.padEnd(32)} ${(p.probability * 100).toFixed(2).padStart(6)}%\n`);
    });
  });
}

const synthWeights: Command = {
  summary: 'write the deterministic "resnet50-synthetic-v1" weights as a safetensors file',
  flags: {
    out: { kind: 'string', value: 'FILE', help: 'output .safetensors path' },
    verbose: COMMON.verbose!,
  },
  async run(flags) {
    if (typeof flags.out !== 'string') throw new WgcamError('BAD_ARGUMENT', 'synth-weights needs --out FILE.safetensors');
    await checkOutputs([{ what: '--out', path: flags.out }], []);
    const bytes = syntheticSafetensors();
    await writeAtomically(flags.out, bytes, '--out');
    process.stderr.write(`wrote ${escapeControl(String(flags.out))} (${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB)\n`);
    return 0;
  },
};

const info: Command = {
  summary: "print wgcam's version and the WebGPU adapter it would use (--verbose: also the pipelines one Grad-CAM compiles)",
  flags: { verbose: COMMON.verbose! },
  async run(flags: ParsedFlags) {
    const { createNodeGpuContext, runtimeNotes } = await import('../node/gpu.ts');
    const ctx = await createNodeGpuContext();
    process.stdout.write(`${[`version: wgcam ${VERSION} (Node ${process.version})`, describeAdapter(ctx), ...runtimeNotes(ctx)].join('\n')}\n`);
    if (flags.verbose !== true) {
      ctx.destroy();
      return 0;
    }
    // One Grad-CAM of the README's first command (224 x 224, layer4, an overlay) on synthetic weights, its
    // pipelines compiled on demand one by one, so that each compile is timed: the cold-start cost on this adapter.
    const { Wgcam } = await import('../session.ts');
    const { syntheticResNet50 } = await import('../model/synthetic.ts');
    const session = Wgcam.fromContext(ctx, syntheticResNet50(), undefined, { tuning: nodeTuningOptions() });
    try {
      const size = 224;
      const options = { layers: ['layer4'], pictures: [new Uint8Array(size * size * 3)] };
      // Drivers that compile a pipeline's machine code at its first dispatch (lavapipe) compile nothing when it
      // is created: there each of the job's pipelines is timed at its first dispatch, one by one, before the job.
      if (ctx.kernels.compileAhead === 'dispatch') process.stdout.write(`grad-cam ${size}x${size} ${await describeFirstDispatchCompiles(session, size, options)}\n`);
      const input = { shape: [1, 3, size, size], data: new Float32Array(3 * size * size) };
      const job = async () => {
        const started = performance.now();
        await session.gradcam(input, options);
        return performance.now() - started;
      };
      const [first, second] = [await job(), await job()];
      process.stdout.write(`grad-cam ${size}x${size} ${describePipelines(ctx)}\n`);
      process.stdout.write(`grad-cam first job ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms (wall clock; the first includes the compiles the driver had not cached)\n`);
      process.stdout.write(`variants: ${ctx.pipelineVariants().map(([label, n]) => `${label} ${n}`).join(', ')}\n`);
    } finally {
      session.destroy();
    }
    return 0;
  },
};

const tune: Command = {
  summary: "measure this adapter's GEMM tiles afresh and store the choice",
  flags: { verbose: COMMON.verbose! },
  async run(_flags: ParsedFlags) {
    const { createNodeGpuContext } = await import('../node/gpu.ts');
    const { describeGemmTuning, remeasuringStore } = await import('../kernels/gemm/tuner.ts');
    const { describeKernelConfig } = await import('../tuning.ts');
    const { defaultTuningPath, fileTuningStore } = await import('../node/tuning_store.ts');
    const ctx = await createNodeGpuContext();
    try {
      process.stdout.write(`${describeAdapter(ctx)}\n`);
      // The other commands read this choice; measuring while the machine is busy elsewhere skews it.
      const path = defaultTuningPath();
      const t = await tuneAdapter(ctx, { store: remeasuringStore(fileTuningStore(path)) });
      process.stdout.write(`gemm tiles: ${describeGemmTuning(t.gemm)}\n`);
      process.stdout.write(`kernels: ${describeKernelConfig(t.config)}\n`);
      process.stdout.write(`stored in ${path}\n`);
    } finally {
      ctx.destroy();
    }
    return 0;
  },
};

/** `top`, `N`, or `N,N,...` (one per image). */
export function parseTargets(value: string): number[] | 'top' {
  if (value === 'top') return 'top';
  const parts = value.split(',').map((s) => s.trim());
  const out = parts.map((s) => (/^-?\d+$/.test(s) ? Number(s) : NaN));
  const bad = parts.find((_, i) => !Number.isInteger(out[i]) || out[i]! < 0 || out[i]! > 999);
  if (bad !== undefined) throw new WgcamError('BAD_TARGETS', `target ${quote(bad)} is not a class index: use top, or integers in [0, 999] separated by commas`);
  return out;
}

export function parseList(value: unknown): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [String(value)];
  return items.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

const cam: Command = {
  summary: 'Grad-CAM and its family: heatmaps and overlays (pytorch-grad-cam semantics), gradients on request',
  flags: {
    ...COMMON,
    method: { kind: 'string', repeatable: true, value: 'M,M', help: `CAM methods: ${camMethodNames().join(', ')}, or all`, default: 'gradcam' },
    'batch-size': { kind: 'number', value: 'N', help: 'masked or ablated inputs per forward for scorecam and ablationcam (default: pytorch-grad-cam\'s, 16 and 32)' },
    'eigen-smooth': { kind: 'boolean', help: 'first principal component of the weighted activations in place of their channel sum' },
    layer: { kind: 'string', repeatable: true, value: 'NAME', help: 'target layer by module path with a spatial output (conv1 ... layer4 and modules inside; not avgpool or fc), repeatable (default layer4)' },
    target: { kind: 'string', value: 'T', help: 'top | N | N,N,... (one class per image)', default: 'top' },
    colormap: { kind: 'string', value: 'NAME', help: 'jet | turbo | viridis | inferno', default: 'jet' },
    alpha: { kind: 'number', value: 'A', help: 'heatmap weight in the overlay, in [0, 1]', default: 0.5 },
    out: { kind: 'string', value: 'PATH', help: 'overlay PNG (one image, one method) or folder: NAME-cam.png, NAME-METHOD-cam.png for several methods, and NAME-methods.png (a contact sheet) for several methods' },
    'input-grad': { kind: 'boolean', help: 'also compute the gradient with respect to the input' },
    grads: { kind: 'string', value: 'P,P', help: 'parameter gradients of the target logits, e.g. conv1.weight,fc.bias' },
    ...EXPLAIN_FLAGS,
  },
  async run(flags) {
    const layers = parseList(flags.layer);
    if (layers.length === 0) layers.push('layer4');
    for (const l of layers) assertCamLayer(l);
    const targets = parseTargets(String(flags.target));
    const colormap = String(flags.colormap);
    if (!(colormap in COLORMAPS)) throw new WgcamError('UNKNOWN_COLORMAP', `unknown colormap ${quote(colormap)}: use one of ${Object.keys(COLORMAPS).join(', ')}`);
    const alpha = flags.alpha as number;
    if (!(alpha >= 0 && alpha <= 1)) throw new WgcamError('BAD_ALPHA', `--alpha must be in [0, 1], got ${alpha}`);
    const params = parseList(flags.grads);
    checkParams(params);
    const methodNames = parseList(flags.method);
    const methods = resolveCamMethods(methodNames).map((m) => m.name);
    const all = methodNames.includes('all');
    const eigenSmooth = flags['eigen-smooth'] === true;
    const batchSize = flags['batch-size'] as number | undefined;
    if (batchSize !== undefined) checkBatchSize(batchSize);
    const explain = explainFlagOptions(flags);
    // Plain Grad-CAM keeps its intermediates (cam.<layer>.*) and the gradients on request.
    const gradcamOnly = methods.length === 1 && methods[0] === 'gradcam' && !eigenSmooth && !wantsExplain(explain);
    if (!gradcamOnly && (flags['input-grad'] === true || params.length > 0)) {
      throw new WgcamError('BAD_ARGUMENT', '--input-grad and --grads go with plain Grad-CAM (--method gradcam, no --eigen-smooth, --aug-smooth, --guided or --metric)');
    }
    const host = await readInputs(flags);
    // Checked before the work, so that a missing picture or an unwritable path never costs a full run.
    const out = typeof flags.out === 'string' ? flags.out : undefined;
    if (out !== undefined && host.tensor && host.pictures.some((p) => p === null)) {
      throw new WgcamError('NO_PICTURE', '--out needs a picture: use --image, or a --tensor file that holds `image` uint8 [H,W,3]');
    }
    const files = out !== undefined ? camOutputFiles(out, host.names, methods, all) : null;
    const outputs: OutputSpec[] = typeof flags.dump === 'string' ? [{ what: '--dump', path: flags.dump }] : [];
    if (out !== undefined && files!.folder) outputs.push({ what: '--out', path: out, folder: true });
    if (files) outputs.push(...files.overlays.flat().map((path) => ({ what: '--out', path })), ...(files.sheet ? [{ what: '--out', path: files.sheet }] : []));
    await checkOutputs(outputs, inputFiles(flags, host));
    const session = await openSession(flags);
    try {
      const options = { layers, targets, colormap: colormap as ColormapName, alpha, inputGrad: flags['input-grad'] === true, params };
      // The job's kernels compile ahead, all at once (Wgcam.prepare), before the inputs upload.
      const shape = hostInputShape(host);
      await session.prepare(shape, { kind: 'gradcam', options: { ...options, pictures: Array.from({ length: shape[0]! }, () => new Uint8Array(shape[2]! * shape[3]! * 3)) } });
      const inputs = await uploadInputs(session, host);
      try {
        if (!gradcamOnly) {
          const dump = typeof flags.dump === 'string' ? flags.dump : undefined;
          const run = { methods, layers, targets, colormap: colormap as ColormapName, alpha, eigenSmooth, ...explain, weights: String(flags.weights), verbose: flags.verbose === true, ...(batchSize !== undefined ? { batchSize } : {}) };
          await runCamMethods(session, inputs, { ...run, ...(dump !== undefined ? { dump } : {}), ...(files ? { files } : {}) });
          return 0;
        }
        const result = await session.gradcam(inputs.input, { ...options, pictures: inputs.pictures });
        result.targets.forEach((t, n) => {
          const p = result.logits.data[n * 1000 + t]!;
          process.stdout.write(`${inputs.names[n]}: target ${t} (${IMAGENET_LABELS[t]}), logit ${p.toFixed(4)}, layers ${layers.join(', ')}\n`);
        });
        if (flags.verbose === true) {
          process.stderr.write(`forward ${result.forwardMs.toFixed(0)} ms, total ${result.totalMs.toFixed(0)} ms (wall clock)\n`);
          process.stderr.write(`${describePipelines(session.ctx)}\n`);
        }
        const [, , h, w] = inputs.input.shape as [number, number, number, number];
        if (typeof flags.dump === 'string') {
          const entries: DumpEntry[] = [['logits', result.logits]];
          if (result.inputGrad) entries.push(['input_grad', result.inputGrad]);
          for (const [name, g] of result.paramGrads) entries.push([`grad.${name}`, g]);
          for (const [layer, r] of result.layers) {
            entries.push([`cam.${layer}.act`, r.act], [`cam.${layer}.grad`, r.grad], [`cam.${layer}.weights`, r.weights], [`cam.${layer}.raw`, r.raw], [`cam.${layer}.map`, r.map]);
            if (r.overlay) entries.push([`cam.${layer}.overlay`, { shape: [inputs.names.length, h, w, 3], data: r.overlay }]);
          }
          if (layers.length > 1) entries.push(['cam.map', result.map]);
          entries.push(['method.gradcam.map', result.map]);
          if (result.overlay) entries.push(['method.gradcam.overlay', { shape: [inputs.names.length, h, w, 3], data: result.overlay }]);
          await dumpTensors(flags.dump, entries, { command: 'cam', layers: layers.join(','), targets: JSON.stringify(result.targets), weights: String(flags.weights) });
          process.stderr.write(`wrote ${escapeControl(String(flags.dump))}\n`);
        }
        if (files) await writeOverlays(files.overlays.map((perMethod) => perMethod[0]!), result.overlay!, h, w);
      } finally {
        inputs.input.release();
      }
    } finally {
      session.destroy();
    }
    return 0;
  },
};

async function writeOverlays(paths: readonly string[], overlay: Uint8Array, h: number, w: number): Promise<void> {
  const { encodePng } = await import('../image/decode_node.ts');
  for (let n = 0; n < paths.length; n++) {
    const data = overlay.subarray(n * h * w * 3, (n + 1) * h * w * 3);
    await writeAtomically(paths[n]!, encodePng({ width: w, height: h, data }), '--out');
    process.stderr.write(`wrote ${escapeControl(String(paths[n]))}\n`);
  }
}

const trainStep: Command = {
  summary: 'one training step (batchnorm in train mode, mean cross-entropy): loss and gradients',
  flags: {
    ...COMMON,
    labels: { kind: 'string', value: 'L,L', help: 'one class per image (default: `labels` from the --tensor file)' },
    grads: { kind: 'string', value: 'P,P', help: 'parameter gradients to report/dump' },
    lr: { kind: 'number', value: 'LR', help: 'apply one SGD step with this learning rate and report the new loss' },
    save: { kind: 'string', value: 'FILE', help: 'with --lr: write the updated weights as safetensors' },
  },
  async run(flags) {
    const params = parseList(flags.grads);
    const lr = flags.lr as number | undefined;
    if (lr !== undefined && !(lr > 0)) throw new WgcamError('BAD_ARGUMENT', `--lr must be positive, got ${lr}`);
    if (flags.save !== undefined && lr === undefined) throw new WgcamError('BAD_ARGUMENT', '--save needs --lr (there is nothing to save without an update)');
    checkParams(params);
    const host = await readInputs(flags);
    const outputs: OutputSpec[] = [];
    if (typeof flags.dump === 'string') outputs.push({ what: '--dump', path: flags.dump });
    if (typeof flags.save === 'string') outputs.push({ what: '--save', path: flags.save });
    await checkOutputs(outputs, inputFiles(flags, host));
    const session = await openSession(flags);
    try {
      const inputs = await uploadInputs(session, host);
      try {
        const batch = inputs.input.shape[0]!;
        let labels: number[];
        if (typeof flags.labels === 'string') {
          const parsed = parseTargets(flags.labels);
          if (parsed === 'top') throw new WgcamError('BAD_TARGETS', '--labels needs class indices, e.g. --labels 3,7');
          labels = parsed;
        } else if (typeof flags.tensor === 'string') {
          labels = await readLabels(flags.tensor);
        } else {
          throw new WgcamError('BAD_TARGETS', 'train-step needs labels: --labels 3,7 or a --tensor file with `labels`');
        }
        if (labels.length !== batch) throw new WgcamError('BAD_TARGETS', `${labels.length} labels for ${batch} images: give one label per image`);
        const wanted = lr !== undefined ? parameterNames() : params;
        const result = await session.trainStep(inputs.input, labels, { params: wanted, inputGrad: true, runningStats: ['bn1', 'layer4.2.bn3'] });
        process.stdout.write(`loss ${result.loss.toFixed(6)} (mean cross-entropy over ${batch} images, labels ${labels.join(',')})\n`);
        if (typeof flags.dump === 'string') {
          const entries: DumpEntry[] = [['logits', result.logits], ['loss', { shape: [1], data: Float32Array.of(result.loss) }]];
          if (result.inputGrad) entries.push(['input_grad', result.inputGrad]);
          for (const name of params) entries.push([`grad.${name}`, result.paramGrads.get(name)!]);
          for (const [name, t] of result.runningStats) entries.push([`after.${name}`, t]);
          await dumpTensors(flags.dump, entries, { command: 'train-step', labels: JSON.stringify(labels), weights: String(flags.weights) });
          process.stderr.write(`wrote ${escapeControl(String(flags.dump))}\n`);
        }
        if (lr !== undefined) {
          const updated = await session.applySgd(result.paramGrads, lr);
          const after = await session.trainStep(inputs.input, labels, { params: [], inputGrad: false });
          process.stdout.write(`after one SGD step (lr ${lr}): loss ${after.loss.toFixed(6)}\n`);
          if (typeof flags.save === 'string') {
            await writeAtomically(flags.save, writeSafetensors([...updated].map(([name, data]) => ({ name, dtype: 'F32', shape: session.model.shapeOf(name), data })), { weights: 'wgcam train-step' }));
            process.stderr.write(`wrote ${escapeControl(String(flags.save))}\n`);
          }
        }
      } finally {
        inputs.input.release();
      }
    } finally {
      session.destroy();
    }
    return 0;
  },
};

async function readLabels(path: string): Promise<number[]> {
  const file = readSafetensors(await readTensorFile(path));
  const t = file.tensors.get('labels');
  if (!t) throw new WgcamError('BAD_TARGETS', `${path} has no \`labels\` tensor: pass --labels 3,7`);
  return toInt64Numbers(t);
}

export const COMMANDS: Record<string, Command> = {
  classify,
  cam,
  'train-step': trainStep,
  'synth-weights': synthWeights,
  info,
  tune,
  plan,
};

export { COMMON };
