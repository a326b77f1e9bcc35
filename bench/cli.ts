// `wgcam bench`: the command-line surface of the benchmark (bin/wgcam.mjs adds it in a checkout). Light at load
// time: the core, Dawn and the browser runner are imported only when the command runs.
import { resolveCamMethods } from '../src/cam/method.ts';
import { assertCamLayer } from '../src/model/resnet50.ts';
import { CONV_FORM_SETTINGS, parseKernelSetting } from '../src/kernels/config.ts';
import { GEMM_TILES } from '../src/kernels/gemm/tiles.ts';
import { WgcamError } from '../src/errors.ts';
import { quote } from '../src/quote.ts';
import { parsePrecision } from '../src/session.ts';
import type { FlagSpec, ParsedFlags } from '../src/cli/args.ts';
import type { Command } from '../src/cli/main.ts';
import type { BenchConfig, BenchResult, E2eTask } from './core.ts';

const E2E_NAMES = ['forward', 'gradcam', 'input_grad', 'train_step'] as const;

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  quick: { kind: 'boolean', help: 'a few minutes on a software adapter: one conv shape of each kind, 3 runs per kernel, 1 per end-to-end task' },
  batch: { kind: 'number', value: 'N', help: 'images per batch', default: 1 },
  runs: { kind: 'number', value: 'N', help: 'timed runs per kernel and per end-to-end task (default 7 and 3; --quick 3 and 1)' },
  json: { kind: 'string', value: 'FILE', help: 'write every figure as JSON' },
  report: { kind: 'string', value: 'FILE.md', help: 'write a markdown report' },
  chart: { kind: 'string', value: 'FILE.svg', help: 'write GFLOP/s per layer against the GEMM roofline as SVG' },
  browser: { kind: 'boolean', help: 'run the suite in headless Chromium (WebGPU) instead of Node (Dawn)' },
  peers: { kind: 'boolean', help: 'also time TensorFlow.js (WebGPU) and ONNX Runtime (WebGPU EP; onnxruntime-node, or -web with --browser) on the same input and weights (dev dependencies)' },
  weights: { kind: 'string', value: 'SRC', help: 'weights for the end-to-end tasks: synthetic | pretrained | PATH | URL', default: 'synthetic' },
  filter: { kind: 'string', value: 'S,S', help: 'only the kernels whose name contains one of these (e.g. "conv fwd,relu")' },
  e2e: { kind: 'string', value: 'T,T', help: 'end-to-end tasks: forward,gradcam,input_grad,train_step or none', default: 'forward,gradcam,input_grad,train_step' },
  tiles: { kind: 'string', value: 'auto|NAME', help: `GEMM tiles for every conv and linear kernel: auto (measured) or ${Object.keys(GEMM_TILES).join(', ')}`, default: 'auto' },
  reductions: { kind: 'string', value: 'auto|tree|serial', help: "per-channel reductions: auto (the adapter class's prior), tree (workgroup memory) or serial (one thread each)", default: 'auto' },
  'conv-forms': { kind: 'string', value: CONV_FORM_SETTINGS.join('|'), help: "windowed convs on the untiled GEMM core (CPU adapters): auto (the adapter class's prior), window kernels wherever they fit, or gemm forms", default: 'auto' },
  precision: { kind: 'string', value: 'f32|f16', help: 'GEMM operands of every conv and linear kernel: f32, or f16 (needs shader-f16)', default: 'f32' },
  'split-k': { kind: 'string', value: 'auto|off', help: 'forward and input-gradient split-K on hardware adapters: auto (K slices where the output tiles are few) or off, to compare (software adapters never split them)', default: 'auto' },
  timing: { kind: 'string', value: 'auto|cpu', help: 'cpu: time kernels on the CPU around onSubmittedWorkDone even with timestamp-query', default: 'auto' },
  scorecam: { kind: 'boolean', help: "also time ScoreCAM at layer4 (2048 masked forwards; --quick: the first 64 channels) in masked forwards per second, against a plain forward of a batch of --scorecam-batch images" },
  'scorecam-batch': { kind: 'number', value: 'N', help: 'masked inputs per forward for --scorecam (default 16, pytorch-grad-cam\'s)' },
  methods: { kind: 'string', value: 'M,M|all', help: 'also time each CAM method end to end (Wgcam.explain, one method at a time) at --methods-layer' },
  'methods-layer': { kind: 'string', value: 'NAME', help: 'the layer for --methods (default layer4; scorecam and ablationcam run one forward per channel)', default: 'layer4' },
  verbose: { kind: 'boolean', help: 'print every kernel as it is timed, and stacks on errors' },
};

function positiveInteger(flags: ParsedFlags, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) {
    throw new WgcamError('BAD_ARGUMENT', `--${name} must be an integer in [1, 1000], got ${String(v)}`);
  }
  return v;
}

function list(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Flags to a configuration; exported for the test and for the browser runner. */
export async function configFromFlags(flags: ParsedFlags): Promise<BenchConfig> {
  const { benchConfig } = await import('./core.ts');
  const batch = positiveInteger(flags, 'batch') ?? 1;
  if (batch > 64) throw new WgcamError('BAD_ARGUMENT', `--batch ${batch} is more than this benchmark allows (64)`);
  const runs = positiveInteger(flags, 'runs');
  const config = benchConfig({ quick: flags.quick === true, batch, ...(runs !== undefined ? { runs } : {}) });
  const e2e = list(flags.e2e);
  if (e2e.length === 1 && e2e[0] === 'none') config.e2e = [];
  else {
    const bad = e2e.find((t) => !(E2E_NAMES as readonly string[]).includes(t));
    if (bad !== undefined) throw new WgcamError('BAD_ARGUMENT', `--e2e: unknown task ${quote(bad)}: use ${E2E_NAMES.join(', ')} or none`);
    config.e2e = e2e as E2eTask[];
  }
  const timing = String(flags.timing ?? 'auto');
  if (timing !== 'auto' && timing !== 'cpu') throw new WgcamError('BAD_ARGUMENT', `--timing must be auto or cpu, got ${quote(timing)}`);
  config.timing = timing;
  const setting = <K extends 'tiles' | 'reductions' | 'windows' | 'splitK'>(key: K, flag: string) =>
    parseKernelSetting(key, String(flags[flag] ?? 'auto'), `--${flag}`);
  config.tiles = setting('tiles', 'tiles').tiles ?? 'auto';
  config.reductions = setting('reductions', 'reductions').reductions ?? 'auto';
  config.convForms = setting('windows', 'conv-forms').windows ?? 'auto';
  config.precision = parsePrecision(flags.precision);
  config.splitK = setting('splitK', 'split-k').splitK ?? 'auto';
  const filter = list(flags.filter);
  if (filter.length > 0) config.filter = filter;
  if (flags.scorecam === true) config.scorecam = { batchSize: positiveInteger(flags, 'scorecam-batch') ?? 16, channels: config.quick ? 64 : 2048 };
  else if (flags['scorecam-batch'] !== undefined) throw new WgcamError('BAD_ARGUMENT', '--scorecam-batch goes with --scorecam');
  const methods = list(flags.methods);
  if (methods.length > 0) {
    resolveCamMethods(methods); // a bad name fails before the run
    const layer = String(flags['methods-layer']);
    assertCamLayer(layer);
    config.methods = { names: methods, layer };
  }
  return config;
}

export const bench: Command = {
  summary: 'benchmark every kernel at ResNet50 shapes, the GEMM roofline and end-to-end latency',
  flags: BENCH_FLAGS,
  async run(flags) {
    const verbose = flags.verbose === true;
    const config = await configFromFlags(flags);
    const peers = flags.peers === true;
    if (peers && !config.e2e.includes('forward')) {
      throw new WgcamError('BAD_ARGUMENT', "--peers needs the forward end-to-end task (wgcam's logits are the peers' equal-work check): add forward to --e2e");
    }
    for (const [flag, ext] of [['json', '.json'], ['report', '.md'], ['chart', '.svg']] as const) {
      const v = flags[flag];
      if (v !== undefined && (typeof v !== 'string' || !v.toLowerCase().endsWith(ext))) {
        throw new WgcamError('BAD_ARGUMENT', `--${flag} needs a ${ext} file name, got ${quote(String(v))}`);
      }
    }
    // Every output is checked before the benchmark runs, so that a bad path never costs a full run.
    const { checkOutputs } = await import('../src/cli/shared.ts');
    const outputs = (['json', 'report', 'chart'] as const).filter((f) => typeof flags[f] === 'string').map((f) => ({ what: `--${f}`, path: flags[f] as string }));
    await checkOutputs(outputs, []);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    // Without --verbose: the adapter, every 20th kernel, the end-to-end tasks and the peers.
    const progress = verbose
      ? log
      : (line: string) => {
          const k = /^\[(\d+)\/(\d+)\]/.exec(line);
          if (k ? Number(k[1]) % 20 === 1 || k[1] === k[2] : /^(e2e|peer|building|starting|scorecam|method )|adapter/.test(line)) log(line);
        };
    const weightsSource = String(flags.weights);
    let result: BenchResult;
    if (flags.browser === true) {
      const { runInBrowser } = await import('./browser_runner.ts');
      result = await runInBrowser({ config, peers, weights: weightsSource, log: progress, verbose });
    } else {
      result = await runInNode(config, weightsSource, progress, { peers });
    }
    const { textReport, markdownReport, svgChart } = await import('./report.ts');
    const { writeAtomically } = await import('../src/cli/shared.ts');
    process.stdout.write(textReport(result));
    const command = `wgcam bench ${process.argv.slice(3).join(' ')}`.trim();
    const encode = (s: string) => new TextEncoder().encode(s);
    if (typeof flags.json === 'string') {
      await writeAtomically(flags.json, encode(`${JSON.stringify({ ...result, command }, null, 1)}\n`));
      log(`wrote ${flags.json}`);
    }
    if (typeof flags.chart === 'string') {
      await writeAtomically(flags.chart, encode(svgChart(result)));
      log(`wrote ${flags.chart}`);
    }
    if (typeof flags.report === 'string') {
      const { relative, dirname } = await import('node:path');
      const chart = typeof flags.chart === 'string' ? relative(dirname(flags.report), flags.chart) : undefined;
      await writeAtomically(flags.report, encode(markdownReport(result, { command, ...(chart ? { chart } : {}) })));
      log(`wrote ${flags.report}`);
    }
    return 0;
  },
};

/**
 * The suite in Node on Dawn; with `peers`, then TensorFlow.js and onnxruntime-node on the same input and weights
 * (bench/peers/node.ts), while wgcam's context stays open, so that Dawn's waits are paced for them as for wgcam.
 */
export async function runInNode(config: BenchConfig, weightsSource: string, log: (line: string) => void, options: { peers?: boolean } = {}): Promise<BenchResult> {
  const { createNodeGpuContext, runtimeNotes } = await import('../src/node/gpu.ts');
  const { loadWeightsNode } = await import('../src/node/weights_node.ts');
  const { attachPeers, benchPictures, runBench } = await import('./core.ts');
  const loadStart = performance.now();
  const loaded = config.e2e.length > 0 || config.scorecam || config.methods ? await loadWeightsNode(weightsSource) : { weights: new Map<string, Float32Array>(), description: 'none (no end-to-end tasks)' };
  // Making the synthetic weights (25.6M values) or reading a file: timed here, not in the tests.
  if (config.e2e.length > 0 || config.scorecam || config.methods) log(`weights ${weightsSource}: loaded in ${(performance.now() - loadStart).toFixed(0)} ms`);
  const ctx = await createNodeGpuContext();
  try {
    const { result, logits, input } = await runBench(ctx, { config, weights: loaded.weights, weightsName: weightsSource, surface: 'node', log, notes: runtimeNotes(ctx) });
    if (options.peers) {
      if (!logits) throw new WgcamError('BAD_ARGUMENT', '--peers needs the forward end-to-end task');
      const { runPeersNode } = await import('./peers/node.ts');
      const started = performance.now();
      attachPeers(result, await runPeersNode({ config, weights: loaded.weights, input, pictures: benchPictures(config.batch, config.size), logits, log }));
      result.notes.push(`peers: ${((performance.now() - started) / 1000).toFixed(0)} s after wgcam's part, in the same process; TensorFlow.js on Dawn's GPU object as wgcam, onnxruntime-node on the Dawn built into it`);
    }
    return result;
  } finally {
    ctx.destroy();
  }
}
