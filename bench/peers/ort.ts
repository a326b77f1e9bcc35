// Peer: onnxruntime-web with its WebGPU execution provider, on an ONNX file written by bench/onnx_writer.ts
// from the same weights. Inference only: ONNX Runtime Web has no gradients, so it reports the forward alone.
import { relativeL2 } from '../../src/metrics.ts';
import type { PeerResult } from '../core.ts';
import { resnet50Onnx } from '../onnx_writer.ts';
import { errorMessage, timeCalls, type PeerContext } from './types.ts';

/** The part of onnxruntime-web's API used here (typed locally: the package is only needed with --peers). */
interface OrtTensor {
  data: ArrayLike<number>;
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtApi {
  env: { wasm: { wasmPaths?: string; numThreads?: number }; versions?: Record<string, string>; logLevel?: string };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: { executionProviders: string[]; graphOptimizationLevel?: string }): Promise<OrtSession> };
}

export async function runOrt(p: PeerContext): Promise<PeerResult> {
  const result: PeerResult = { forward_ms: null, gradcam_ms: null, input_grad_ms: null, backend: 'webgpu EP', notes: ['inference only: no gradients in onnxruntime-web'] };
  let session: OrtSession | null = null;
  try {
    // @ts-ignore -- resolved by Vite when the bench page is built with --peers; typed by OrtApi above
    const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtApi;
    // The .wasm files are served by the bench runner (they are not bundled).
    ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
    ort.env.wasm.numThreads = 1;
    result.version = ort.env.versions?.web ?? ort.env.versions?.common;
    const [n, , h, w] = p.input.shape as [number, number, number, number];
    const bytes = resnet50Onnx(p.weights, n, h, w);
    p.log(`peer onnxruntime-web: ONNX model ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, creating a WebGPU session`);
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
    p.log(`peer onnxruntime-web: forward ${t.median.toFixed(0)} ms (warm-up ${t.warmup.toFixed(0)} ms), logits rel L2 ${result.logits_rel_l2.toExponential(2)}`);
  } catch (e) {
    result.error = errorMessage(e);
    p.log(`peer onnxruntime-web failed: ${result.error}`);
  } finally {
    await session?.release().catch(() => undefined);
  }
  return result;
}
