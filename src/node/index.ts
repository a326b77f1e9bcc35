// `wgcam/node`: what only Node has. Dawn's WebGPU (the `webgpu` package), weights from files, URLs and the
// SHA-256-checked cache of the pretrained file, the tuners' choices kept on disk, and PNG/JPEG files. Use it with
// the core, `wgcam`:
//   const ctx = await createNodeGpuContext();
//   const session = Wgcam.fromContext(ctx, (await loadWeightsNode('pretrained')).weights, createNodeGpuContext,
//     { tuning: { store: fileTuningStore() } });
export { createNodeGpuContext, nodeGpu, runtimeNotes, type NodeGpuContextOptions } from './gpu.ts';
export { defaultCacheDir, loadWeightsNode, pretrainedCachePath, type LoadWeightsOptions, type LoadedWeights } from './weights_node.ts';
export { defaultTuningPath, fileTuningStore } from './tuning_store.ts';
export { decodeImageBytes, decodeImageFile, encodePng, sniffImageFormat, type ImageFormat } from '../image/decode_node.ts';
