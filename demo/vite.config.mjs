// Vite config of the browser demo: `npm run demo:web` (dev server) and `npm run demo:build` (static
// build in build/demo). The library is imported from source (src/), so tfjs-core, tfjs-backend-webgpu
// and the delta backends share one tfjs-core instance (dedupe + one pre-bundle of the tfjs packages).
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {defineConfig} from 'vite';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-converter'];

export default defineConfig({
  root: resolve(repo, 'demo'),
  base: './',
  publicDir: resolve(repo, 'build/demo-public'),   // models and clips (node demo/prepare.mjs)
  cacheDir: resolve(repo, 'build/vite-cache'),     // not node_modules/.vite: node_modules may be shared
  resolve: {
    alias: [
      {find: /^tfjs-backend-delta$/, replacement: resolve(repo, 'src/index.ts')},
      {find: /^tfjs-backend-delta\/webgpu$/, replacement: resolve(repo, 'src/webgpu/register.ts')},
      {find: /^tfjs-backend-delta\/cpu$/, replacement: resolve(repo, 'src/cpu/register.ts')},
      {find: /^node:fs$/, replacement: resolve(repo, 'demo/shims/node-fs.ts')},
      {find: /^webgpu$/, replacement: resolve(repo, 'demo/shims/no-dawn.ts')},
    ],
    dedupe: TFJS,
  },
  optimizeDeps: {include: TFJS},
  server: {host: '127.0.0.1', port: 5173, fs: {allow: [repo]}},
  preview: {host: '127.0.0.1', port: 4173},
  build: {outDir: resolve(repo, 'build/demo'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000},
});
