// The choices the kernels make on one GPU context, in one object (`GpuContext.kernels`), and every setting that
// can change them: environment variables and tuning-store keys are declared here and nowhere else. Browser-safe:
// Node code passes `process.env` to `settingsFromEnv`.
//
// A context starts from its adapter class's priors (`KERNEL_PRIORS`, derived from the measurements in
// bench/NOTES.md, "Software-adapter variants"); the GEMM tile tuner (gemm/tuner.ts) and the user's overrides
// then replace fields with `configureKernels`. Kernels read the object when they dispatch; conv routes are
// decided from it by `planConv` (conv/plan.ts) alone.
import { WgcamError } from '../errors.ts';
import type { AdapterDescription } from '../gpu/context.ts';
import { GEMM_TILES, TILE_ALIASES, type GemmOperands, type GemmTiles } from './gemm/tiles.ts';

/** What kind of adapter a context runs on: GPUs and the two CPU implementations the priors were measured on. */
export type AdapterClass = 'gpu' | 'lavapipe' | 'swiftshader' | 'software';

/**
 * Which windowed convs a pass runs as a window kernel (software/) instead of a GEMM on the untiled core:
 * 'dense' those with at least 3 taps per stride phase along x (the stride-1 3x3s and the stem's 7x7/2), 'all'
 * every one the kernel fits, 'none' none. The tiled core never runs them.
 */
export type WindowRule = 'dense' | 'all' | 'none';

/** How per-workgroup reductions run: a tree in workgroup memory (GPUs), or one thread walking the values. */
export type ReductionStyle = 'tree' | 'serial';

export interface KernelConfig {
  /** The adapter class whose priors this started from. */
  adapterClass: AdapterClass;
  /** The tiles every GEMM prefers (a GEMM_TILES entry or any valid shape); resolved per product by `gemmTiles`. */
  tiles: GemmTiles;
  /** GEMM operands: f32, or f16 where the device has shader-f16 (products and sums stay f32). */
  operands: GemmOperands;
  /** Per-workgroup reductions (batchnorm statistics and gradients, average pool, the CAM's min and max). */
  reductions: ReductionStyle;
  /** Cut the forward's and the stride-1 input gradient's K into slices where the output tiles are few (GPUs). */
  splitK: boolean;
  /** Which windowed convs take the window kernels, for the forward and the input gradient. */
  windows: { forward: WindowRule; inputGrad: WindowRule };
  /**
   * How `GpuContext.compileAhead` compiles: 'create' (createComputePipelineAsync, for drivers that compile when a
   * pipeline is made) or 'dispatch' (also one warm-up dispatch of each, split with a second device: lavapipe
   * compiles at a pipeline's first dispatch; gpu/dispatch_warmup.ts).
   */
  compileAhead: 'create' | 'dispatch';
}

const SOFTWARE = { splitK: false, windows: { forward: 'dense', inputGrad: 'dense' } } as const;

/** Each adapter class's starting point, as measured on the whole network (bench/NOTES.md). */
export const KERNEL_PRIORS: Readonly<Record<AdapterClass, Omit<KernelConfig, 'adapterClass'>>> = {
  gpu: { tiles: GEMM_TILES['tiled-64x64']!, operands: 'f32', reductions: 'tree', splitK: true, windows: { forward: 'none', inputGrad: 'none' }, compileAhead: 'create' },
  lavapipe: { tiles: GEMM_TILES['untiled-fit']!, operands: 'f32', reductions: 'tree', ...SOFTWARE, compileAhead: 'dispatch' },
  swiftshader: { tiles: GEMM_TILES['untiled-fit']!, operands: 'f32', reductions: 'serial', ...SOFTWARE, compileAhead: 'create' },
  software: { tiles: GEMM_TILES['untiled-fit']!, operands: 'f32', reductions: 'tree', ...SOFTWARE, compileAhead: 'create' },
};

export function adapterClass(adapter: Pick<AdapterDescription, 'description' | 'software'>): AdapterClass {
  if (!adapter.software) return 'gpu';
  if (/llvmpipe|lavapipe/i.test(adapter.description)) return 'lavapipe';
  if (/swiftshader/i.test(adapter.description)) return 'swiftshader';
  return 'software';
}

export function priorConfig(adapter: Pick<AdapterDescription, 'description' | 'software'>): KernelConfig {
  const cls = adapterClass(adapter);
  return { adapterClass: cls, ...KERNEL_PRIORS[cls] };
}

/** Replace some of a context's choices (tuner, overrides, tests); the rest stay. */
export function configureKernels(
  ctx: { kernels: KernelConfig },
  changes: Partial<Omit<KernelConfig, 'adapterClass' | 'windows'>> & { windows?: Partial<KernelConfig['windows']> },
): KernelConfig {
  ctx.kernels = { ...ctx.kernels, ...changes, windows: { ...ctx.kernels.windows, ...changes.windows } };
  return ctx.kernels;
}

// ---- settings ------------------------------------------------------------------------------------------------

/** Every environment variable wgcam reads, with what it does. Only this file's functions read them. */
export const ENVIRONMENT = {
  WGCAM_GEMM_TILES: 'GEMM tiles: auto (the tuner, from the adapter class prior) or a GEMM_TILES name (tiled-64x64, untiled-fit, ...)',
  WGCAM_REDUCTIONS: 'per-workgroup reductions: auto (the adapter class prior), tree or serial',
  WGCAM_CONV_FORMS: 'windowed convs on the untiled core: auto (the prior), window (every one the kernels fit) or gemm (none)',
  WGCAM_SPLIT_K: 'split-K of the forward and stride-1 input gradient: auto (GPUs) or off',
  WGCAM_DAWN_WAIT: "Node: how waits for Dawn use the JS thread: auto (paced on software adapters), spin or paced",
  WGCAM_DAWN_TOGGLES: "Node: Dawn's speed toggles (no robustness, validation, workgroup zeroing or lazy clears; subgroups): auto (hardware adapters only), on or off",
  LP_NUM_THREADS: "Mesa's lavapipe worker threads; wgcam sets two per core unless it is set",
  WGCAM_CACHE: 'Node: the cache folder for pretrained weights and tuning.json (default $XDG_CACHE_HOME/wgcam or ~/.cache/wgcam)',
  XDG_CACHE_HOME: "Node: the user's cache root, when WGCAM_CACHE is not set",
  WGCAM_CONNECT_TIMEOUT_S: 'Node: seconds a weights download waits for the server to answer (connect and headers), default 30',
  WGCAM_IDLE_TIMEOUT_S: 'Node: seconds a weights download waits for more data before it fails, default 30',
  WGCAM_SKIP_F16: 'tests: skip the f16 tests (an adapter without shader-f16 skips them anyway); the summary of scripts/test.sh names either reason',
  WGCAM_SKIP_E2E: 'tests: skip the browser end-to-end test',
  WGCAM_SKIP_TSC: 'tests: scripts/test.sh skips the type-check',
  WGCAM_FUZZ_SEED: 'tests: seed of the safetensors fuzzer',
  WGCAM_FUZZ_DEBUG: 'tests: print every fuzzed file',
  WGCAM_BENCH_PEERS: 'bench tests: also run the browser peers',
  WGCAM_BENCH_TIMEOUT_S: "bench: the browser run's time limit in seconds",
} as const;
export type EnvironmentVariable = keyof typeof ENVIRONMENT;

/** Every key the tuning store (Node: tuning.json; browser: localStorage) holds, with what it holds. */
export const DAWN_WAIT_SETTINGS = ['auto', 'spin', 'paced'] as const;
export type DawnWaitSetting = (typeof DAWN_WAIT_SETTINGS)[number];

/** WGCAM_DAWN_WAIT: auto (unset or empty), spin or paced; anything else is refused. */
export function dawnWaitFromEnv(env: Environment): DawnWaitSetting {
  const value = readSetting(env, 'WGCAM_DAWN_WAIT') ?? 'auto';
  if (!(DAWN_WAIT_SETTINGS as readonly string[]).includes(value)) {
    throw new WgcamError('BAD_ARGUMENT', `WGCAM_DAWN_WAIT=${value} is not a way to wait: use one of ${DAWN_WAIT_SETTINGS.join(', ')}`);
  }
  return value as DawnWaitSetting;
}

/** WGCAM_DAWN_TOGGLES: auto (unset or empty: on for hardware adapters only), on or off. */
export const DAWN_TOGGLE_SETTINGS = ['auto', 'on', 'off'] as const;
export type DawnToggleSetting = (typeof DAWN_TOGGLE_SETTINGS)[number];

export function dawnTogglesFromEnv(env: Environment): DawnToggleSetting {
  const value = readSetting(env, 'WGCAM_DAWN_TOGGLES') ?? 'auto';
  if (!(DAWN_TOGGLE_SETTINGS as readonly string[]).includes(value)) {
    throw new WgcamError('BAD_ARGUMENT', `WGCAM_DAWN_TOGGLES=${value} is not a setting: use one of ${DAWN_TOGGLE_SETTINGS.join(', ')}`);
  }
  return value as DawnToggleSetting;
}

export const STORE_KEYS = {
  'gemm-tiles-v10': 'the GEMM tile tuner\'s choice per adapter (a GEMM_TILES name), followed by |vendor|architecture|device|description',
} as const;
export const GEMM_TILES_STORE_KEY: keyof typeof STORE_KEYS = 'gemm-tiles-v10';

export type Environment = Record<string, string | undefined>;

/** A variable's value, '' and unset alike as undefined. */
export function readSetting(env: Environment, name: EnvironmentVariable): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The kernel settings a user forced: `WGCAM_*` values as names, or 'auto' left out. Unknown values are errors. */
export interface KernelSettings {
  /** A GEMM_TILES name: no tuning. */
  tiles?: string;
  reductions?: ReductionStyle;
  windows?: 'window' | 'gemm';
  splitK?: 'off';
}

export const CONV_FORM_SETTINGS = ['auto', 'window', 'gemm'] as const;

/** A GEMM_TILES name for `value` (old names kept: vec4-* and direct-*), or undefined. */
export function tileName(value: string): string | undefined {
  const name = TILE_ALIASES[value] ?? value;
  return GEMM_TILES[name] ? name : undefined;
}

export function parseKernelSetting(name: 'tiles' | 'reductions' | 'windows' | 'splitK', value: string | undefined, source: string): KernelSettings {
  if (value === undefined || value === 'auto') return {};
  const bad = (what: string, allowed: string) => new WgcamError('BAD_ARGUMENT', `${source}=${value} is not ${what}: use ${allowed}`);
  switch (name) {
    case 'tiles': {
      const tiles = tileName(value);
      if (!tiles) throw bad('a tile shape', `auto or one of ${Object.keys(GEMM_TILES).join(', ')}`);
      return { tiles };
    }
    case 'reductions':
      if (value !== 'tree' && value !== 'serial') throw bad('a reduction style', 'auto, tree or serial');
      return { reductions: value };
    case 'windows': {
      // Earlier names: 'defaults' was the prior, 'direct' the window kernels.
      const form = value === 'defaults' ? 'auto' : value === 'direct' ? 'window' : value;
      if (form === 'auto') return {};
      if (form !== 'window' && form !== 'gemm') throw bad('a conv form choice', `one of ${CONV_FORM_SETTINGS.join(', ')}`);
      return { windows: form };
    }
    case 'splitK':
      if (value !== 'off') throw bad('a split-K setting', 'auto or off');
      return { splitK: 'off' };
  }
}

/** The kernel settings forced through the environment (WGCAM_GEMM_TILES, WGCAM_REDUCTIONS, WGCAM_CONV_FORMS, WGCAM_SPLIT_K). */
export function settingsFromEnv(env: Environment): KernelSettings {
  return {
    ...parseKernelSetting('tiles', readSetting(env, 'WGCAM_GEMM_TILES'), 'WGCAM_GEMM_TILES'),
    ...parseKernelSetting('reductions', readSetting(env, 'WGCAM_REDUCTIONS'), 'WGCAM_REDUCTIONS'),
    ...parseKernelSetting('windows', readSetting(env, 'WGCAM_CONV_FORMS'), 'WGCAM_CONV_FORMS'),
    ...parseKernelSetting('splitK', readSetting(env, 'WGCAM_SPLIT_K'), 'WGCAM_SPLIT_K'),
  };
}

/** Apply forced settings to a context (the tile name, if any, is applied by the tuner: see `tuneGemm`). */
export function applySettings(ctx: { kernels: KernelConfig }, s: KernelSettings): KernelConfig {
  const windows = s.windows === undefined ? undefined : s.windows === 'window' ? ({ forward: 'all', inputGrad: 'all' } as const) : ({ forward: 'none', inputGrad: 'none' } as const);
  return configureKernels(ctx, {
    ...(s.tiles ? { tiles: GEMM_TILES[s.tiles]! } : {}),
    ...(s.reductions ? { reductions: s.reductions } : {}),
    ...(windows ? { windows } : {}),
    ...(s.splitK === 'off' ? { splitK: false } : {}),
  });
}
