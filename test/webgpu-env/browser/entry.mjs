// Bundled by test/webgpu-env/browser-smoke.mjs (esbuild, ESM sources of tfjs 4.22) into
// build/webgpu-env/bundle.js and loaded by index.html. Exposes window.webgpuEnv for Playwright.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwebgpu from '@tensorflow/tfjs-backend-webgpu';
import {loadGraphModel} from '@tensorflow/tfjs-converter';
import {checkErrorScopesWork, describeAdapter, requestFullDevice, runCompaction} from '../compaction.mjs';

async function scoped(device, fn) {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  const r = await fn();
  const errs = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()].filter(Boolean);
  return {...r, deviceErrors: errs.map((e) => `${e.constructor.name}: ${e.message}`)};
}

const median = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };
const maxAbsDiff = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
const maxAbs = (a) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i])); return m; };

window.webgpuEnv = {
  async adapter() {
    if (!('gpu' in navigator)) return {hasNavigatorGpu: false, userAgent: navigator.userAgent};
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return {hasNavigatorGpu: true, adapter: null};
    return {hasNavigatorGpu: true, ...describeAdapter(adapter)};
  },

  async compaction() {
    const adapter = await navigator.gpu.requestAdapter();
    const device = await requestFullDevice(adapter);
    const errorScopes = await checkErrorScopesWork(device);
    const sparse = await runCompaction(device, {n: 1 << 18, density: 0.03});
    const empty = await runCompaction(device, {n: 1 << 18, density: 0});
    const dense = await runCompaction(device, {n: 1 << 18, density: 1});
    device.destroy();
    return {ok: errorScopes.caught && sparse.ok && empty.ok && dense.ok, errorScopes, sparse, empty, dense};
  },

  async tfjsDense() {
    await tf.setBackend('webgpu');
    const device = tf.backend().device;
    return scoped(device, async () => {
      const x = tf.randomUniform([1, 65, 65, 16], -1, 1, 'float32', 1);
      const w = tf.randomUniform([3, 3, 16, 32], -1, 1, 'float32', 2);
      const relu = await tf.relu(x).data();
      const conv = await tf.relu(tf.conv2d(x, w, [2, 2], 'same')).data();
      const xv = await x.data(), wv = await w.data();
      await tf.setBackend('cpu');
      const xc = tf.tensor(xv, x.shape), wc = tf.tensor(wv, w.shape);
      const reluRef = await tf.relu(xc).data();
      const convRef = await tf.relu(tf.conv2d(xc, wc, [2, 2], 'same')).data();
      await tf.setBackend('webgpu');
      return {
        backendClass: tf.findBackend('webgpu').constructor.name,
        exports: Object.keys(tfwebgpu).sort(),
        reluMaxAbs: maxAbsDiff(relu, reluRef), convMaxAbs: maxAbsDiff(conv, convRef), convMaxRef: maxAbs(convRef),
        convNonZero: conv.some((v) => v !== 0),
      };
    });
  },

  /** posenet from the test server (model.json rewritten to size x size), webgpu vs cpu. */
  async posenet(size = 257, frames = 3, cpuFrames = 1) {
    const input = new Float32Array(size * size * 3);
    let s = 12345;
    for (let i = 0; i < input.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; input[i] = Math.sin(i / 997) * 0.8 + (s / 4294967296 - 0.5) * 0.2; }
    const run = async (backend, n) => {
      await tf.setBackend(backend);
      const model = await loadGraphModel(`/models/posenet/model.json?size=${size}`);
      const x = tf.tensor4d(input, [1, size, size, 3]);
      const once = async () => { const outs = model.execute(x, model.outputNodes); const v = await Promise.all(outs.map((o) => o.data())); tf.dispose(outs); return v; };
      let t = performance.now();
      const vals = await once();
      const firstMs = performance.now() - t;
      const times = [];
      for (let i = 0; i < n; i++) { t = performance.now(); await once(); times.push(performance.now() - t); }
      x.dispose(); model.dispose();
      return {vals, firstMs, times, medianMs: times.length ? median(times) : firstMs};
    };
    await tf.setBackend('webgpu');
    const g = await scoped(tf.backend().device, () => run('webgpu', frames));
    const c = await run('cpu', cpuFrames);
    await tf.setBackend('webgpu');
    return {
      size, deviceErrors: g.deviceErrors,
      webgpuFirstMs: +g.firstMs.toFixed(1), webgpuMedianMs: +g.medianMs.toFixed(1), webgpuTimesMs: g.times.map((t) => +t.toFixed(1)),
      cpuMedianMs: +c.medianMs.toFixed(1),
      rel: g.vals.map((v, i) => +(maxAbsDiff(v, c.vals[i]) / maxAbs(c.vals[i])).toExponential(2)),
    };
  },
};
document.title = 'webgpu-env ready';
