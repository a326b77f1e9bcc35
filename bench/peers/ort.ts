// Peer: ONNX Runtime with its WebGPU execution provider, on an ONNX file written by bench/onnx_writer.ts from the
// same weights. Inference only (the runtime has no gradients): it reports the forward alone. The bench page runs
// onnxruntime-web (runOrtWeb); Node runs onnxruntime-node (node.ts), whose WebGPU EP has a Dawn of its own.
import { relativeL2 } from '../../src/metrics.ts';
import type { PeerResult } from '../core.ts';
import { resnet50Onnx } from '../onnx_writer.ts';
import { errorMessage, timeCalls, type Peer, type PeerContext } from './types.ts';

/** The part of onnxruntime's API used here, the same in -web and -node (typed locally: only needed with --peers). */
interface OrtTensor {
  data: ArrayLike<number>;
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtApi {
  env: { wasm?: { wasmPaths?: string; numThreads?: number }; versions?: Record<string, string>; logLevel?: string };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: { executionProviders: string[]; graphOptimizationLevel?: string }): Promise<OrtSession> };
}

/** A loaded runtime: the API, its version, and what the report says of its backend. */
export interface OrtLoaded {
  ort: OrtApi;
  version: string | undefined;
  backend: string;
}

/** The forward of ResNet50 on `load()`'s runtime, timed as every peer's tasks are, logits checked against wgcam's. */
export async function runOrtForward(p: PeerContext, name: string, load: () => Promise<OrtLoaded>): Promise<PeerResult> {
  const result: PeerResult = { forward_ms: null, gradcam_ms: null, input_grad_ms: null, backend: 'webgpu EP', notes: [`inference only: no gradients in ${name}`] };
  let session: OrtSession | null = null;
  try {
    const { ort, version, backend } = await load();
    result.version = version;
    result.backend = backend;
    const [n, , h, w] = p.input.shape as [number, number, number, number];
    const bytes = resnet50Onnx(p.weights, n, h, w);
    p.log(`peer ${name}: ONNX model ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, creating a WebGPU session`);
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
    const s = session;
    let logits: Float32Array | null = null;
    const forward = async () => {
      const out = await s.run({ input: new ort.Tensor('float32', p.input.data, p.input.shape) });
      logits = Float32Array.from(out.logits!.data);
      out.logits!.dispose?.();
    };
    const t = await timeCalls(p.config.e2eRuns, forward);
    result.forward_ms = t.median;
    result.warmup_ms = { forward: t.warmup };
    result.logits_rel_l2 = relativeL2(logits!, p.logits);
    p.log(`peer ${name}: forward ${t.median.toFixed(0)} ms (warm-up ${t.warmup.toFixed(0)} ms), logits rel L2 ${result.logits_rel_l2.toExponential(2)}`);
  } catch (e) {
    result.error = errorMessage(e);
    p.log(`peer ${name} failed: ${result.error}`);
  } finally {
    await session?.release().catch(() => undefined);
  }
  return result;
}

/** onnxruntime-web in the bench page. */
export const runOrtWeb: Peer = (p) =>
  runOrtForward(p, 'onnxruntime-web', async () => {
    // @ts-ignore -- resolved by Vite when the bench page is built with --peers; typed by OrtApi above
    const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtApi;
    // The .wasm files are served by the bench runner (they are not bundled).
    ort.env.wasm!.wasmPaths = new URL('ort/', location.href).href;
    ort.env.wasm!.numThreads = 1;
    return { ort, version: ort.env.versions?.web ?? ort.env.versions?.common, backend: 'webgpu EP' };
  });
