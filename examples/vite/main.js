// A page that classifies a picture and draws its Grad-CAM, with wgcam from npm. `?weights=synthetic` uses the
// deterministic synthetic weights instead of downloading the pretrained ones (for offline tests: their classes
// mean nothing); `?image=URL` runs on that picture at once.
import { PRETRAINED, Wgcam, decodeImageBlob, loadWeightsFromUrl, preprocessImages, syntheticResNet50 } from 'wgcam';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const show = (state, text) => {
  document.body.dataset.state = state;
  $('status').textContent = text;
};
let wgcam = null;
let current = null; // { input, crops, name } of the last picture

async function start() {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU');
  show('loading', 'loading the weights…');
  const weights =
    params.get('weights') === 'synthetic'
      ? syntheticResNet50()
      : await loadWeightsFromUrl(PRETRAINED.url, {
          sha256: PRETRAINED.sha256,
          onProgress: (received, total) => show('loading', `weights: ${(received / 2 ** 20).toFixed(0)} of ${total ? (total / 2 ** 20).toFixed(0) : '?'} MiB`),
        });
  wgcam = await Wgcam.create(navigator.gpu, weights);
  $('file').disabled = false;
  show('ready', 'choose a picture');
  const image = params.get('image');
  if (image) await classify(await (await fetch(image)).blob(), image);
}

async function classify(blob, name) {
  show('running', `classifying ${name}…`);
  current?.input.release();
  const { input, crops } = await preprocessImages(wgcam.ctx, [await decodeImageBlob(blob, name)]);
  current = { input, crops, name };
  const { top } = await wgcam.classify(input, { topK: 5 });
  $('top5').replaceChildren(
    ...top[0].map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.label} (${p.index}): ${(100 * p.probability).toFixed(2)}%`;
      li.dataset.index = String(p.index);
      return li;
    }),
  );
  $('cam').disabled = false;
  show('done', `${name}: top-5 classes`);
}

async function gradcam() {
  show('running', `Grad-CAM of ${current.name}…`);
  const { overlay } = await wgcam.gradcam(current.input, { layers: ['layer4'], targets: 'top', pictures: current.crops.map((c) => c.data) });
  const { width, height } = current.crops[0];
  const rgba = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) rgba.data.set([overlay[3 * i], overlay[3 * i + 1], overlay[3 * i + 2], 255], 4 * i);
  $('overlay').getContext('2d').putImageData(rgba, 0, 0);
  show('done', `${current.name}: Grad-CAM of the top class at layer4`);
}

const failed = (e) => show('error', e instanceof Error ? e.message : String(e)); // WgcamErrors say what to do
$('file').addEventListener('change', (e) => {
  const file = e.target.files?.[0];
  if (file) classify(file, file.name).catch(failed);
});
$('cam').addEventListener('click', () => gradcam().catch(failed));
start().catch(failed);
