// The peers `wgcam bench --peers` times in Node, after wgcam, on the same adapter: TensorFlow.js's WebGPU backend
// on the Dawn wgcam runs on (tfjs_node.ts), and onnxruntime-node's WebGPU execution provider, which has a Dawn
// of its own built in (the same Vulkan driver: VK_ICD_FILENAMES and friends apply to both). Node-only.
import type { PeerResult } from '../core.ts';
import { runOrtForward, type OrtApi } from './ort.ts';
import { runTfjs } from './tfjs.ts';
import { loadTfNode } from './tfjs_node.ts';
import { runEachPeer, type Peer, type PeerContext } from './types.ts';

interface OrtNodeApi extends OrtApi {
  listSupportedBackends?(): Array<{ name: string; bundled: boolean }>;
}

const runOrtNode: Peer = (p) =>
  runOrtForward(p, 'onnxruntime-node', async () => {
    let ort: OrtNodeApi;
    try {
      ort = (await import('onnxruntime-node')) as unknown as OrtNodeApi;
    } catch (e) {
      throw new Error(`onnxruntime-node does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); it is a dev dependency: npm ci`);
    }
    const version = ort.env.versions?.node ?? ort.env.versions?.common;
    const backends = ort.listSupportedBackends?.() ?? [];
    if (!backends.some((b) => b.name === 'webgpu' && b.bundled)) {
      throw new Error(`onnxruntime-node ${version ?? '?'} has no WebGPU execution provider on ${process.platform}-${process.arch} (it has ${backends.map((b) => b.name).join(', ') || 'none listed'})`);
    }
    return { ort, version, backend: 'webgpu EP (its own Dawn)' };
  });

export function runPeersNode(p: PeerContext): Promise<Record<string, PeerResult>> {
  return runEachPeer(p, { tfjs: (c) => runTfjs(c, loadTfNode), 'onnxruntime-node': runOrtNode });
}
