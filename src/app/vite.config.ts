// The Grad-CAM explorer (the web surface of wgcam). Run from the project root:
//   npm run dev | npm run build | npm run preview   (all pass --config src/app/vite.config.ts)
// The app's root is src/app; it imports the shared core from ../ (src/session.ts and below), so the dev
// server must be allowed to serve the whole project, not only its root.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  // Relative asset URLs: the built app also works from a sub-path (GitHub Pages, a file share).
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../../dist', import.meta.url)),
    emptyOutDir: true,
    // WebGPU browsers are all recent; no down-levelling needed.
    target: 'es2022',
    // The samples are hundreds of KiB: never inline them.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1', fs: { allow: [projectRoot] } },
  preview: { host: '127.0.0.1' },
});
