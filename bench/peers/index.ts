// The peers the bench page times with --peers, one after the other, each on its own WebGPU device.
import type { PeerResult } from '../core.ts';
import { runOrt } from './ort.ts';
import { runTfjs } from './tfjs.ts';
import type { Peer, PeerContext } from './types.ts';

/** Logits farther than this (relative L2) from wgcam's mean the peer did other work: its times are flagged. */
export const LOGITS_TOLERANCE = 1e-3;

const PEERS: Record<string, Peer> = {
  'onnxruntime-web': runOrt,
  tfjs: runTfjs,
};

export async function runPeers(p: PeerContext): Promise<Record<string, PeerResult>> {
  const out: Record<string, PeerResult> = {};
  for (const [name, peer] of Object.entries(PEERS)) {
    p.log(`peer ${name}: starting`);
    const r = await peer(p);
    const l2 = r.logits_rel_l2;
    if (l2 !== null && l2 !== undefined && !(l2 < LOGITS_TOLERANCE)) {
      (r.notes ??= []).push(`logits differ from wgcam's (rel L2 ${l2.toExponential(1)} >= ${LOGITS_TOLERANCE}): not equal work, do not compare`);
    }
    out[name] = r;
  }
  return out;
}
