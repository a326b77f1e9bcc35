// `wgcam plan`: how every ResNet50 conv runs on this adapter, pass by pass, as the conv planner decides it
// (kernels/conv/plan.ts) from the context's kernel choices after tuning.
import { CONV_PASSES, describePlan, planConv, type ConvPlan } from '../kernels/conv/plan.ts';
import { tilesName } from '../kernels/gemm/tiles.ts';
import { resnet50Convs } from '../model/architecture.ts';
import { describeKernelConfig, tuneAdapter } from '../tuning.ts';
import { WgcamError } from '../errors.ts';
import type { Command } from './main.ts';
import { describeAdapter, nodeTuningOptions } from './shared.ts';

export const plan: Command = {
  summary: 'print how each ResNet50 conv and pass runs on this adapter (form, GEMM tiles, split-K)',
  flags: {
    json: { kind: 'boolean', help: 'one JSON document on stdout: the adapter, the kernel config and every plan' },
    batch: { kind: 'number', value: 'N', help: 'images per batch', default: 1 },
    size: { kind: 'number', value: 'PX', help: 'input height and width', default: 224 },
    verbose: { kind: 'boolean', help: 'stacks on errors' },
  },
  async run(flags) {
    const batch = flags.batch as number;
    const size = flags.size as number;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1024) throw new WgcamError('BAD_ARGUMENT', `--batch must be an integer in [1, 1024], got ${batch}`);
    if (!Number.isInteger(size) || size < 32 || size > 4096) throw new WgcamError('BAD_ARGUMENT', `--size must be an integer in [32, 4096], got ${size}`);
    const { createNodeGpuContext } = await import('../node/gpu.ts');
    const ctx = await createNodeGpuContext();
    try {
      const tuning = await tuneAdapter(ctx, nodeTuningOptions());
      const entries = resnet50Convs(size).flatMap((c) =>
        CONV_PASSES.map((pass) => {
          const shape = { batch, inC: c.inChannels, outC: c.outChannels, inH: c.inSize, inW: c.inSize, kH: c.kernel, kW: c.kernel, stride: c.stride, pad: c.pad };
          return { path: c.path, pass, conv: `${c.kernel}x${c.kernel}/${c.stride} ${c.inChannels}->${c.outChannels} ${c.inSize}x${c.inSize}`, plan: planConv(ctx.kernels, shape, pass) };
        }),
      );
      if (flags.json === true) {
        const json = {
          adapter: ctx.adapter,
          batch,
          size,
          config: { ...ctx.kernels, tiles: tilesName(ctx.kernels.tiles) },
          gemmTiles: tuning.gemm,
          plans: entries.map((e) => ({ path: e.path, pass: e.pass, conv: e.conv, ...jsonPlan(e.plan) })),
        };
        process.stdout.write(`${JSON.stringify(json, null, 1)}\n`);
        return 0;
      }
      process.stdout.write(`${describeAdapter(ctx)}\nkernels: ${describeKernelConfig(ctx.kernels)}\n`);
      for (const e of entries) process.stdout.write(`${e.path.padEnd(22)} ${e.pass.padEnd(10)} ${e.conv.padEnd(28)} ${describePlan(e.plan)}\n`);
    } finally {
      ctx.destroy();
    }
    return 0;
  },
};

/** A plan for JSON: the tiles by name, the stride phases by their index and tiles. */
function jsonPlan(p: ConvPlan) {
  return {
    form: p.form,
    ...(p.gemm ? { gemm: { m: p.gemm.m, n: p.gemm.n, k: p.gemm.k }, tiles: tilesName(p.gemm.tiles) } : {}),
    ...(p.phases ? { phases: p.phases.map((ph) => ({ phase: [ph.phase.PHASE_Y, ph.phase.PHASE_X], n: ph.n, k: ph.k, tiles: tilesName(ph.tiles) })) } : {}),
    splits: p.splits,
    ...(p.splits > 1 ? { sliceK: p.sliceK } : {}),
  };
}
