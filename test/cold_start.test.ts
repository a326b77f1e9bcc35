// Cold start through the library: a job never waits on the GEMM tuner unless asked to (TuningOptions.measure),
// the session says when one did (`lastJob.waitedOnTuning`), and `prepare` compiles a job's pipelines ahead so
// that the job compiles none on demand and computes exactly what an unprepared session computes; the rehearsal
// behind it names exactly the pipelines a job makes.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { warmUpEntries } from '../src/gpu/context.ts';
import { timeCompilesByDispatch } from '../src/gpu/dispatch_warmup.ts';
import { syntheticResNet50 } from '../src/model/synthetic.ts';
import { createNodeGpuContext } from '../src/node/gpu.ts';
import { Wgcam, type HostTensor, type SessionOptions } from '../src/session.ts';
import { memoryTuningStore } from '../src/tuning.ts';
import { mulberry32, randn } from './reference/ops.ts';

const weights = syntheticResNet50();
/** A cheap measurement: one small product, one timed run per candidate. */
const QUICK = { shapes: [[64, 64, 64]] as Array<[number, number, number]>, runs: 1 };
const sessions: Wgcam[] = [];

async function open(tuning: SessionOptions['tuning']): Promise<Wgcam> {
  // With a context factory: on lavapipe, `prepare` warms half the pipelines up on a second device.
  const s = Wgcam.fromContext(await createNodeGpuContext(), weights, createNodeGpuContext, { tuning });
  sessions.push(s);
  return s;
}
afterAll(() => sessions.forEach((s) => s.destroy()));

function input(seed: number, h = 64, w = 48): HostTensor {
  return { shape: [1, 3, h, w], data: Float32Array.from(randn(3 * h * w, mulberry32(seed))) };
}

let reference: Awaited<ReturnType<Wgcam['gradcam']>>;
beforeAll(async () => {
  const plain = await open(false);
  reference = await plain.gradcam(input(1), { layers: ['layer4'], targets: [3] });
});

test('the first job runs on the priors; the measurement follows it, and a job queued behind it says so', async () => {
  const store = memoryTuningStore();
  const session = await open({ ...QUICK, store });
  const first = await session.gradcam(input(1), { layers: ['layer4'], targets: [3] });
  expect(session.lastJob?.waitedOnTuning).toBe(false);
  // The priors compute what an untuned session computes.
  expect(first.map.data).toEqual(reference.map.data);
  // Queued after the first result, ahead of this job.
  await session.gradcam(input(1), { layers: ['layer4'], targets: [3] });
  expect(session.lastJob?.waitedOnTuning).toBe(true);
  expect((await session.currentTuning())?.source).toBe('measured');
  await session.gradcam(input(1), { layers: ['layer4'], targets: [3] });
  expect(session.lastJob?.waitedOnTuning).toBe(false);
});

test("'on-request': jobs read the store or keep the priors, only tune() measures", async () => {
  const session = await open({ ...QUICK, store: memoryTuningStore(), measure: 'on-request' });
  for (let i = 0; i < 2; i++) {
    await session.gradcam(input(1), { layers: ['layer4'], targets: [3] });
    expect(session.lastJob?.waitedOnTuning).toBe(false);
  }
  expect((await session.currentTuning())?.source).toBe('prior');
  expect((await session.tune())?.source).toBe('measured');
  expect(session.lastJob?.waitedOnTuning).toBe(false);
});

test("'before-first-job' measures before the first job, which says it waited", async () => {
  const session = await open({ ...QUICK, store: memoryTuningStore(), measure: 'before-first-job' });
  await session.gradcam(input(1), { layers: ['layer4'], targets: [3] });
  expect(session.lastJob?.waitedOnTuning).toBe(true);
});

test('prepare compiles a job ahead: the job compiles nothing on demand and computes the same', async () => {
  const session = await open(false);
  const pictures = [new Uint8Array(64 * 48 * 3)];
  const options = { layers: ['layer4'], targets: [3], pictures };
  const count = await session.prepare([1, 3, 64, 48], { kind: 'gradcam', options });
  expect(count).toBeGreaterThan(10);
  const picture = Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 37) % 256);
  const r = await session.gradcam(input(1), { ...options, pictures: [picture] });
  expect(session.lastJob?.compiledPipelines).toBe(0);
  expect(session.ctx.pipelineStats.ahead).toBe(count);
  expect(r.map.data).toEqual(reference.map.data);
  expect(r.logits.data).toEqual(reference.logits.data);
});

test('a rehearsal records exactly the pipelines the job then makes, each timed once at its first dispatch', async () => {
  const session = await open(false);
  const ctx = session.ctx;
  const options = { layers: ['layer4'], targets: [3] };
  const recorded = await session.rehearse([1, 3, 64, 48], { kind: 'gradcam', options });
  expect(ctx.pipelineCount).toBe(0); // nothing made
  const r = await session.gradcam(input(1), options);
  expect(r.map.data).toEqual(reference.map.data); // the rehearsal left nothing behind that changes a result
  // The job made on demand the pipelines the rehearsal named: the same labels, as many of each.
  const byLabel = (labels: string[]) => labels.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  expect(byLabel(recorded.map((e) => e.label))).toEqual(new Map(session.ctx.pipelineVariants()));
  const dispatched = warmUpEntries(recorded);
  expect(dispatched.length).toBe(recorded.length); // every pipeline of this job is dispatched
  const times = await timeCompilesByDispatch(ctx.device, dispatched);
  expect(times.map((t) => t.label)).toEqual(dispatched.map((e) => e.label));
  for (const t of times) expect(t.ms).toBeGreaterThanOrEqual(0);
});
