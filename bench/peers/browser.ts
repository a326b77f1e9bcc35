// The peers the bench page times with --peers, one after the other, each on its own WebGPU device.
import type { PeerResult } from '../core.ts';
import { runOrtWeb } from './ort.ts';
import { loadTfBrowser, runTfjs } from './tfjs.ts';
import { runEachPeer, type PeerContext } from './types.ts';

export function runPeers(p: PeerContext): Promise<Record<string, PeerResult>> {
  return runEachPeer(p, { 'onnxruntime-web': runOrtWeb, tfjs: (c) => runTfjs(c, loadTfBrowser) });
}
