// The bench page: `wgcam bench --browser` builds it with this config (bench/browser_runner.ts), serves it on
// 127.0.0.1 and drives it with headless Chromium. WGCAM_BENCH_PEERS=1 links the peers (onnxruntime-web,
// TensorFlow.js) in; otherwise `virtual:bench-peers` is a stub and the peer packages are not needed.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

function peers(): Plugin {
  const id = '\0wgcam-bench-peers';
  return {
    name: 'wgcam-bench-peers',
    resolveId(source) {
      return source === 'virtual:bench-peers' ? id : null;
    },
    load(source) {
      if (source !== id) return null;
      const file = process.env.WGCAM_BENCH_PEERS === '1' ? '../peers/browser.ts' : './peers_stub.ts';
      return `export { runPeers } from ${JSON.stringify(fileURLToPath(new URL(file, import.meta.url)))};`;
    },
  };
}

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  plugins: [peers()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../out/bench-page', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
  },
  server: { host: '127.0.0.1', fs: { allow: [projectRoot] } },
});
