// Top-5 ImageNet classes of a PNG or JPEG in Node: `node classify.mjs IMAGE [pretrained|synthetic|FILE.safetensors]`.
import { Wgcam, preprocessImages } from 'wgcam';
import { createNodeGpuContext, decodeImageFile, fileTuningStore, loadWeightsNode } from 'wgcam/node';

const [image, source = 'pretrained'] = process.argv.slice(2);
const { weights } = await loadWeightsNode(source); // 'pretrained': downloaded once, SHA-256 checked, cached
const ctx = await createNodeGpuContext(); // Dawn, on the machine's GPU (or a software adapter)
const wgcam = Wgcam.fromContext(ctx, weights, createNodeGpuContext, { tuning: { store: fileTuningStore() } });
const { input } = await preprocessImages(ctx, [await decodeImageFile(image)]);
const { top } = await wgcam.classify(input, { topK: 5 });
for (const p of top[0]) console.log(`${String(p.index).padStart(3)} ${p.label.padEnd(28)} ${(100 * p.probability).toFixed(2)}%`);
input.release();
wgcam.destroy();
