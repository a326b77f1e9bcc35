// Rendering a BenchResult: the plain-text table printed on stdout, the markdown report (--report) and the SVG
// chart of GFLOP/s per layer against the GEMM roofline (--chart). Pure functions, browser-safe.
import { describeGemmTuning } from '../src/kernels/gemm/tuner.ts';
import { fmtMs, wgcamOverPeer, PEER_TASKS, type BenchResult, type KernelResult, type PeerResult } from './core.ts';
import type { ScorecamBench } from './scorecam.ts';

const gf = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const mflop = (f: number): string => (f >= 1e9 ? `${(f / 1e9).toFixed(2)} G` : f >= 1e6 ? `${(f / 1e6).toFixed(1)} M` : `${(f / 1e3).toFixed(1)} k`);
const mib = (b: number): string => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const msOrDash = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : fmtMs(v));

function header(r: BenchResult): string[] {
  const a = r.adapter;
  return [
    `wgcam bench, ${r.date} (${r.surface}${r.user_agent ? `, ${r.user_agent}` : ''})`,
    `adapter: ${a.description} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}) -- ${a.note}`,
    `batch ${r.batch}, ${r.size}x${r.size}, ${r.runs} timed runs per kernel, ${r.e2e_runs} per end-to-end task, weights ${r.weights}${r.quick ? ', --quick' : ''}`,
    `kernel timing: ${r.timing === 'gpu' ? 'GPU timestamp-query (median)' : 'timing: "cpu" -- CPU time around queue.onSubmittedWorkDone (median)'}; end to end: wall clock (median)`,
    `gemm tiles: ${describeTiles(r)}`,
    `kernels: ${describeKernels(r)}`,
  ];
}

function pad(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
}

function table(rows: string[][], right: boolean[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => pad(r, widths, right).trimEnd());
}

function kernelRow(k: KernelResult): string[] {
  return [k.name, String(k.count || ''), fmtMs(k.ms), mflop(k.flops), mib(k.bytes), gf(k.gflops), gf(k.gbps)];
}

const KERNEL_HEAD = ['kernel', 'x', 'ms', 'FLOP', 'bytes', 'GFLOP/s', 'GB/s'];
const KERNEL_RIGHT = [false, true, true, true, true, true, true];

/** The table printed on stdout. */
export function textReport(r: BenchResult): string {
  const lines = [...header(r), ''];
  const roof = [r.roofline.gemm, r.roofline.gemm_large, r.roofline.bandwidth].filter((k): k is KernelResult => k !== null && k !== undefined);
  lines.push('roofline');
  lines.push(...table([KERNEL_HEAD, ...roof.map(kernelRow)], KERNEL_RIGHT).map((l) => `  ${l}`));
  lines.push('', `kernels (x = times per forward pass of the network)`);
  lines.push(...table([KERNEL_HEAD, ...r.kernels.map(kernelRow)], KERNEL_RIGHT).map((l) => `  ${l}`));
  const n = r.network;
  if (n.conv_forward_ms !== null) {
    lines.push('', `conv sums over the network (median x count): forward ${fmtMs(n.conv_forward_ms)} ms, input grad ${msOrDash(n.conv_input_grad_ms)} ms, weight grad ${msOrDash(n.conv_weight_grad_ms)} ms`);
  }
  lines.push('', 'end to end (Wgcam session API, wall clock)');
  lines.push(...table([['task', 'median ms', 'warm-up ms', 'what'], ...e2eRows(r)], [false, true, true, false]).map((l) => `  ${l}`));
  if (r.scorecam) lines.push('', 'scorecam (masked forwards per second against a plain batched forward)', `  ${scorecamLine(r.scorecam)}`);
  if (r.methods) lines.push('', `CAM methods (${r.methods.what}): median ms`, ...Object.entries(r.methods.methods).map(([m, f]) => `  ${m.padEnd(20)} ${fmtMs(f.ms)}`));
  if (r.pipelines) lines.push('', describePipelineFigures(r));
  const peers = Object.entries(r.peers);
  if (peers.length > 0) {
    lines.push('', `peers (${peersWhere(r)}; in brackets wgcam's time over the peer's)`);
    lines.push(...table([PEER_HEAD, ...peers.map((p) => peerRow(r, p))], PEER_RIGHT).map((l) => `  ${l}`));
  }
  if (r.notes.length > 0) lines.push('', ...r.notes.map((s) => `note: ${s}`));
  return `${lines.join('\n')}\n`;
}

function scorecamLine(s: ScorecamBench): string {
  const rate = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return (
    `${s.layer} at ${s.size}x${s.size}, batches of ${s.batch_size}: ${s.masked_forwards} masked forwards${s.subset ? ' (a subset of the channels)' : ''} in ${fmtMs(s.ms)} ms, ` +
    `${rate(s.masked_forwards_per_s)} per s; a plain forward of ${s.batch_size} images ${fmtMs(s.plain_batch_ms)} ms, ${rate(s.plain_forwards_per_s)} per s; ratio ${s.over_plain.toFixed(2)}`
  );
}

/** Pipelines compiled on demand: the whole run's count, wall clock and slowest, then each task's warm-up's own. */
function describePipelineFigures(r: BenchResult): string {
  const p = r.pipelines!;
  const tasks = Object.entries(r.e2e.pipelines ?? {}).map(([task, f]) => `${task} ${f.count} (${fmtMs(f.compile_ms)} ms)`);
  return (
    (p.at_first_dispatch
      ? `pipelines made on demand: ${p.count} in ${fmtMs(p.compile_ms)} ms (this driver compiles each at its first dispatch, within the warm-up times)`
      : `pipelines compiled on demand: ${p.count} in ${fmtMs(p.compile_ms)} ms, slowest ${fmtMs(p.slowest_ms ?? 0)} ms (${p.slowest ?? '?'})`) +
    (tasks.length > 0 ? `; new in each task's warm-up: ${tasks.join(', ')}` : '')
  );
}

function e2eRows(r: BenchResult): string[][] {
  const e = r.e2e;
  return (['forward', 'gradcam', 'input_grad', 'train_step'] as const).map((t) => [t, msOrDash(e[`${t}_ms`]), msOrDash(e.warmup_ms[t]), e.what[t]]);
}

const PEER_HEAD = ['peer', 'forward ms (wgcam/peer)', 'gradcam ms (wgcam/peer)', 'input grad ms (wgcam/peer)', 'logits rel L2', 'notes'];
const PEER_RIGHT = [false, true, true, true, true, false];

function peersWhere(r: BenchResult): string {
  return r.surface === 'browser' ? 'same input and weights, same browser and adapter' : 'same input and weights, same adapter, after wgcam in the same process';
}

/** A peer's time with wgcam's over it beside it, e.g. `25736 (0.17)`. */
function peerRow(r: BenchResult, [name, p]: [string, PeerResult]): string[] {
  const l2 = p.logits_rel_l2 === null || p.logits_rel_l2 === undefined ? '-' : p.logits_rel_l2.toExponential(1);
  const notes = [p.backend, p.version, p.error ? `error: ${p.error}` : '', ...(p.notes ?? [])].filter(Boolean).join('; ');
  const ratios = p.wgcam_over_peer ?? wgcamOverPeer(r.e2e, p);
  const cell = (t: (typeof PEER_TASKS)[number]): string => {
    const ms = p[`${t}_ms`];
    const ratio = ratios[t];
    return ms === null || ms === undefined ? '-' : `${fmtMs(ms)}${ratio === undefined ? '' : ` (${ratio.toFixed(2)})`}`;
  };
  return [name, ...PEER_TASKS.map(cell), l2, notes];
}

function mdTable(rows: string[][], right: boolean[]): string[] {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `| ${right.map((r) => (r ? '---:' : '---')).join(' | ')} |`, ...body.map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`)];
}

/** The markdown report (--report FILE.md). */
export function markdownReport(r: BenchResult, options: { command?: string; chart?: string } = {}): string {
  const out: string[] = ['# wgcam bench', ''];
  if (r.adapter.software) out.push(`> **${r.adapter.note}.** ${r.adapter.description}`, '');
  out.push(`- date: ${r.date}`);
  if (options.command) out.push(`- command: \`${options.command}\``);
  out.push(
    `- surface: ${r.surface}${r.user_agent ? ` (${r.user_agent})` : ''}`,
    `- adapter: ${r.adapter.description} (vendor ${r.adapter.vendor || '?'}, architecture ${r.adapter.architecture || '?'}): ${r.adapter.note}`,
    `- batch ${r.batch}, ${r.size}x${r.size}; ${r.runs} timed runs per kernel, ${r.e2e_runs} per end-to-end task; weights ${r.weights}${r.quick ? '; `--quick`' : ''}`,
    `- kernel timing: ${r.timing === 'gpu' ? 'GPU timestamp-query, median' : '`timing: "cpu"`: CPU time around `queue.onSubmittedWorkDone`, median'}; end to end: wall clock, median after an untimed warm-up (the first call, then calls for 1 s)`,
    `- GEMM tiles of every conv and linear kernel: ${describeTiles(r)}`,
    `- kernel config (reductions, split-K, window kernels; src/kernels/config.ts): ${describeKernels(r)}`,
    `- GEMM operands: ${r.precision ?? 'f32'} (products and sums in f32)`,
    `- split-K of the forward and input gradient: ${r.split_k ?? 'not recorded'}${r.adapter.software ? ' (a software adapter: never split)' : ''}`,
    `- whole run: ${r.wall_s.toFixed(0)} s`,
    '',
    '## End to end',
    '',
    ...mdTable([['task', 'median ms', 'warm-up ms (includes compilation)', 'what'], ...e2eRows(r)], [false, true, true, false]),
    '',
    ...(r.pipelines ? [describePipelineFigures(r), ''] : []),
  );
  if (r.methods) out.push('## CAM methods', '', `${r.methods.what}.`, '', ...mdTable([['method', 'median ms', 'warm-up ms'], ...Object.entries(r.methods.methods).map(([m, f]) => [m, fmtMs(f.ms), fmtMs(f.warmup_ms)])], [false, true, true]), '');
  if (r.scorecam) out.push('## ScoreCAM', '', `${scorecamLine(r.scorecam)}.`, '', `(${r.scorecam.what}.)`, '');
  const peers = Object.entries(r.peers);
  if (peers.length > 0) {
    out.push('## Peers', '', `${peersWhere(r)}; in brackets wgcam's median over the peer's (under 1: wgcam is faster).`, '', ...mdTable([PEER_HEAD, ...peers.map((p) => peerRow(r, p))], PEER_RIGHT), '');
  }
  out.push('## Roofline', '');
  const roof = [r.roofline.gemm, r.roofline.gemm_large, r.roofline.bandwidth].filter((k): k is KernelResult => k !== null && k !== undefined);
  out.push(...mdTable([KERNEL_HEAD, ...roof.map(kernelRow)], KERNEL_RIGHT), '');
  if (options.chart) out.push(`![GFLOP/s per layer against the GEMM roofline](${options.chart})`, '');
  out.push('## Kernels', '', '`x`: how many times one forward pass runs this exact problem.', '');
  out.push(...mdTable([KERNEL_HEAD, ...r.kernels.map(kernelRow)], KERNEL_RIGHT), '');
  const n = r.network;
  if (n.conv_forward_ms !== null) {
    out.push(`Conv sums over the network (median x count): forward ${fmtMs(n.conv_forward_ms)} ms, input gradient ${msOrDash(n.conv_input_grad_ms)} ms, weight gradient ${msOrDash(n.conv_weight_grad_ms)} ms.`, '');
  }
  if (r.notes.length > 0) out.push('## Notes', '', ...r.notes.map((s) => `- ${s}`), '');
  return out.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * GFLOP/s of every GEMM-shaped kernel (conv forward, input and weight gradients, linear), one group of bars per
 * layer shape, against the plain GEMM's GFLOP/s (the dashed line) on the same adapter.
 */
export function svgChart(r: BenchResult): string {
  const gemm = r.roofline.gemm;
  const shapes: string[] = [];
  const byShape = new Map<string, Partial<Record<string, KernelResult>>>();
  for (const k of r.kernels) {
    if (k.kind !== 'conv' && k.kind !== 'linear') continue;
    const series = k.kind === 'linear' ? (k.pass === 'forward' ? 'forward' : 'backward') : k.pass;
    const key = `${k.kind === 'linear' ? 'fc ' : ''}${k.shape}`;
    if (!byShape.has(key)) {
      byShape.set(key, {});
      shapes.push(key);
    }
    byShape.get(key)![series] = k;
  }
  const series: Array<[string, string, string]> = [
    ['forward', 'forward', '#3b6fb6'],
    ['input_grad', 'input gradient', '#e0873a'],
    ['weight_grad', 'weight gradient', '#4a9a5b'],
    ['backward', 'backward (fc)', '#8c6bb1'],
  ];
  const values = [...byShape.values()].flatMap((m) => Object.values(m).map((k) => k!.gflops));
  const peak = Math.max(gemm?.gflops ?? 0, ...values, 1e-9);
  const left = 70;
  const top = 70;
  const plotH = 320;
  const group = 40;
  const barW = 9;
  const width = Math.max(640, left + shapes.length * group + 40);
  const height = top + plotH + 190;
  const y = (v: number) => top + plotH - (v / (peak * 1.1)) * plotH;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  o.push(`<rect width="100%" height="100%" fill="white"/>`);
  o.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">wgcam: GFLOP/s per ResNet50 layer shape against the GEMM roofline</text>`);
  o.push(`<text x="${left}" y="38">${esc(`${r.adapter.description} -- ${r.adapter.note}`)}</text>`);
  o.push(`<text x="${left}" y="54">${esc(`${r.date.slice(0, 10)}, ${r.surface}, batch ${r.batch}, ${r.size}x${r.size}, ${r.timing === 'gpu' ? 'GPU timestamps' : 'timing: cpu'}, median of ${r.runs}`)}</text>`);
  // axis and grid
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (peak * 1.1 * i) / ticks;
    o.push(`<line x1="${left}" x2="${width - 20}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    o.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${gf(v)}</text>`);
  }
  o.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">GFLOP/s</text>`);
  shapes.forEach((shape, i) => {
    const x0 = left + i * group + 4;
    const m = byShape.get(shape)!;
    let j = 0;
    for (const [key, label, color] of series) {
      const k = m[key];
      if (!k) continue;
      const yy = y(k.gflops);
      o.push(`<rect x="${x0 + j * barW}" y="${yy.toFixed(1)}" width="${barW - 1}" height="${(top + plotH - yy).toFixed(1)}" fill="${color}"><title>${esc(`${k.name}: ${gf(k.gflops)} GFLOP/s, ${fmtMs(k.ms)} ms (${label})`)}</title></rect>`);
      j++;
    }
    const lx = x0 + 12;
    const ly = top + plotH + 8;
    o.push(`<text transform="translate(${lx} ${ly}) rotate(60)" font-size="10">${esc(shape)}</text>`);
  });
  if (gemm) {
    o.push(`<line x1="${left}" x2="${width - 20}" y1="${y(gemm.gflops).toFixed(1)}" y2="${y(gemm.gflops).toFixed(1)}" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/>`);
    o.push(`<text x="${width - 24}" y="${(y(gemm.gflops) - 5).toFixed(1)}" text-anchor="end" fill="#c0392b">${esc(`${gemm.name}: ${gf(gemm.gflops)} GFLOP/s`)}</text>`);
  }
  series.forEach(([, label, color], i) => {
    const lx = left + i * 130;
    const ly = height - 14;
    o.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly}">${label}</text>`);
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

/** Results written before the autotuner have no `gemm_tiles`. */
function describeTiles(r: BenchResult): string {
  const t = r.gemm_tiles as BenchResult['gemm_tiles'] | undefined;
  return t ? describeGemmTuning(t) : 'not recorded';
}

/** Older results have the reduction and conv form tuners' choices instead of the kernel config. */
function describeKernels(r: BenchResult): string {
  if (r.kernel_config) return r.kernel_config;
  const forms = r.conv_forms ? Object.values(r.conv_forms.choices) : [];
  const parts = [
    r.reductions ? `${r.reductions.choice} reductions (${r.reductions.source})` : '',
    r.conv_forms ? `${forms.filter((f) => f === 'direct').length} window convs, ${forms.filter((f) => f === 'gemm').length} GEMM forms (${r.conv_forms.source})` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'not recorded';
}
