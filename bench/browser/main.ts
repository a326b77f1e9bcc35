// The bench page: the same core as `wgcam bench` in Node, on navigator.gpu. The runner passes the configuration
// in the query string (`?config=<json>&weights=synthetic|url`) and polls `window.__bench` for the result.
import { runPeers } from 'virtual:bench-peers';
import { createGpuContext } from '../../src/gpu/context.ts';
import { syntheticResNet50 } from '../../src/model/synthetic.ts';
import { loadWeightsFromBytes } from '../../src/model/weights.ts';
import { attachPeers, benchPictures, runBench, type BenchConfig, type BenchResult } from '../core.ts';

export interface BenchPageState {
  status: 'running' | 'done' | 'error';
  lines: string[];
  result: BenchResult | null;
  error: string | null;
}

declare global {
  interface Window {
    __bench: BenchPageState;
  }
}

const state: BenchPageState = { status: 'running', lines: [], result: null, error: null };
window.__bench = state;
const pre = document.getElementById('log');

function log(line: string): void {
  state.lines.push(line);
  console.log(`[bench] ${line}`);
  if (pre) pre.textContent += `${line}\n`;
}

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const config = JSON.parse(query.get('config') ?? 'null') as BenchConfig | null;
  if (!config) throw new Error('no ?config= in the page URL: the page is driven by `wgcam bench --browser`');
  const weightsSource = query.get('weights') ?? 'synthetic';
  const wantPeers = query.get('peers') === '1';
  if (!navigator.gpu) throw new Error('NO_ADAPTER: navigator.gpu is missing (WebGPU disabled in this browser)');
  const ctx = await createGpuContext(navigator.gpu);
  log(`adapter: ${ctx.adapter.description} (vendor ${ctx.adapter.vendor}, architecture ${ctx.adapter.architecture})`);
  let weights: Map<string, Float32Array>;
  if (config.e2e.length === 0 && !wantPeers) weights = new Map();
  else if (weightsSource === 'synthetic') {
    log('making the synthetic weights');
    weights = syntheticResNet50();
  } else {
    const response = await fetch(weightsSource);
    if (!response.ok) throw new Error(`weights: ${weightsSource} answered ${response.status}`);
    weights = loadWeightsFromBytes(new Uint8Array(await response.arrayBuffer()));
  }
  const out = await runBench(ctx, { config, weights, weightsName: query.get('weightsName') ?? weightsSource, surface: 'browser', log, userAgent: navigator.userAgent });
  ctx.destroy();
  if (wantPeers) {
    if (!runPeers) throw new Error('the page was built without the peers (WGCAM_BENCH_PEERS=1)');
    if (!out.logits) throw new Error('--peers needs the forward end-to-end task (its logits are the equal-work check)');
    attachPeers(out.result, await runPeers({ config, weights, input: out.input, pictures: benchPictures(config.batch, config.size), logits: out.logits, log }));
  }
  state.result = out.result;
  state.status = 'done';
  log('done');
}

main().catch((e: unknown) => {
  state.error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
  state.status = 'error';
  log(`error: ${state.error}`);
});
