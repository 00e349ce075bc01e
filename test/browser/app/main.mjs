// A minimal app as users write it, built by test/browser/run.mjs with esbuild and with Vite (the
// package resolved by name through package.json "exports", condition "browser"): it must share the
// app's tfjs-core (the backends register on the app's engine) and run delta-webgpu and delta-cpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import 'tfjs-backend-delta/webgpu';
import * as delta from 'tfjs-backend-delta';

window.__runChecks = async () => {
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({name, ok: !!ok, detail: String(detail).slice(0, 2000)});
  check('the backends registered on the app\'s own tfjs-core (one instance)',
      tf.findBackendFactory('delta-webgpu') && tf.findBackendFactory('delta-cpu') &&
      tf.getKernelsForBackend('delta-webgpu').length === tf.getKernelsForBackend('webgpu').length,
      `factories: ${Object.keys(tf.engine().registryFactory)}`);
  // Three frames of conv -> relu: cpu reference, then each delta backend (exact mode).
  const x0 = Float32Array.from({length: 1 * 24 * 24 * 3}, (_, i) => Math.sin(i * 0.37));
  const w = Float32Array.from({length: 3 * 3 * 3 * 8}, (_, i) => Math.cos(i * 0.91) * 0.3);
  const frames = [x0, x0.map((v, i) => (i % 97 < 6 ? v + 0.5 : v)), x0.map((v, i) => (i % 53 < 3 ? v - 0.4 : v))];
  const run = async (backend) => {
    await tf.setBackend(backend);
    delta.reset();
    const filter = tf.tensor4d(w, [3, 3, 3, 8]);
    const out = [];
    const modes = [];
    for (const f of frames) {
      const x = tf.tensor4d(f, [1, 24, 24, 3]);
      const y = delta.frame(() => tf.relu(tf.conv2d(x, filter, 1, 'same')));
      out.push(await y.data());
      tf.dispose([x, y]);
      if (backend !== 'cpu') { await delta.settleStats(); modes.push(delta.stats().layers.map((l) => l.mode).join('+')); }
    }
    filter.dispose();
    return {out, modes};
  };
  const ref = await run('cpu');
  for (const backend of ['delta-webgpu', 'delta-cpu']) {
    let device = null;
    if (backend === 'delta-webgpu') {
      await tf.setBackend(backend);
      device = tf.backend().device;
      device.pushErrorScope('validation');
    }
    const r = await run(backend);
    const err = device ? await device.popErrorScope() : null;
    let worst = 0;
    r.out.forEach((o, f) => o.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref.out[f][i])); }));
    check(`${backend}: conv+relu frames match cpu (max abs ${worst.toExponential(2)}), delta path on frames 2 and 3 (${r.modes.join(', ')}), no validation error`,
        worst <= 1e-5 && r.modes.slice(1).every((m) => m.split('+').every((x) => x === 'delta')) && !err, err ? err.message : '');
  }
  return checks;
};
window.__bundleLoaded = true;
