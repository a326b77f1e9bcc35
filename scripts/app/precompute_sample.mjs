#!/usr/bin/env node
// Makes the web app's pre-computed sample result (src/app/samples/precomputed/): the Grad-CAM overlay of the
// default sample (chelsea.png) at layer4 for its top class, and its top-5, from the CLI's own output with the
// synthetic weights (the only weights every checkout has). The page shows it at once on a visit, labelled as
// pre-computed, until it has computed a result of its own.
//   /work/team/gpu -- node scripts/app/precompute_sample.mjs      (it creates a WebGPU device)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'src/app/samples/precomputed');
const IMAGE = 'src/app/samples/chelsea.png';
const LAYER = 'layer4';
const COLORMAP = 'jet';
const ALPHA = 0.5;

function wgcam(args) {
  const r = spawnSync('node', ['bin/wgcam.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr || r.stdout);
    console.error(`precompute_sample: wgcam ${args[0]} exited ${r.status}`);
    process.exit(1);
  }
  return r.stdout;
}

mkdirSync(OUT, { recursive: true });
const classify = wgcam(['classify', '--weights', 'synthetic', '--image', IMAGE, '--top', '5']);
// Lines like "  1. 805  soccer ball  12.3%"; the index and probability are what the page needs.
const top5 = [...classify.matchAll(/^\s*\d+\.\s+(\d+)\s+(.*?)\s+([\d.eE+-]+)%\s*$/gm)].map((m) => ({ index: Number(m[1]), label: m[2], probability: Number((Number(m[3]) / 100).toPrecision(4)) }));
if (top5.length !== 5) {
  console.error(`precompute_sample: could not read the top-5 from wgcam classify:\n${classify}`);
  process.exit(1);
}
const png = join(OUT, 'chelsea.png');
wgcam(['cam', '--weights', 'synthetic', '--image', IMAGE, '--layer', LAYER, '--colormap', COLORMAP, '--alpha', String(ALPHA), '--out', png]);
const meta = {
  image: 'chelsea',
  weights: 'synthetic',
  layer: LAYER,
  method: 'gradcam',
  colormap: COLORMAP,
  alpha: ALPHA,
  target: top5[0].index,
  top5,
  command: `wgcam cam --weights synthetic --image ${IMAGE} --layer ${LAYER} --colormap ${COLORMAP} --alpha ${ALPHA}`,
};
writeFileSync(join(OUT, 'chelsea.json'), `${JSON.stringify(meta, null, 2)}\n`);
console.log(`wrote ${png} and chelsea.json (top class ${top5[0].index}: ${top5[0].label})`);
