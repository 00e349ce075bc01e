// The UMD page of test/browser/run.mjs (a classic script after the official tfjs UMD bundles and
// dist/tf-backend-delta.min.js, no bundler): window.__runChecks() resolves to [{name, ok, detail}].
// A model frame sequence (posenet 257 on pose_1.mp4 frames decoded by Node) runs on delta-webgpu in
// exact mode through the global API and is compared with tfjs' cpu backend; delta-cpu runs too.
(function () {
  const relErr = (a, b) => {
    let m = 0, r = 0;
    for (let i = 0; i < b.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); r = Math.max(r, Math.abs(b[i])); }
    return a.length === b.length ? m / Math.max(r, 1e-6) : Infinity;
  };
  window.__runChecks = async (job) => {
    const checks = [];
    const check = (name, ok, detail = '') => checks.push({name, ok: !!ok, detail: String(detail).slice(0, 2000)});
    check('globals: tfDelta is the API and tf.delta the same object',
        typeof tfDelta === 'object' && tf.delta === tfDelta && typeof tfDelta.configure === 'function' && typeof tfDelta.stats === 'function',
        `typeof tfDelta ${typeof tfDelta}, keys ${Object.keys(tfDelta || {}).length}`);
    const nWebgpu = tf.getKernelsForBackend('webgpu').length, nDelta = tf.getKernelsForBackend('delta-webgpu').length;
    const nCpu = tf.getKernelsForBackend('cpu').length, nDeltaCpu = tf.getKernelsForBackend('delta-cpu').length;
    check('delta-webgpu and delta-cpu registered on the global tf with every kernel of webgpu / cpu',
        tf.findBackendFactory('delta-webgpu') && tf.findBackendFactory('delta-cpu') && nDelta === nWebgpu && nDeltaCpu === nCpu && nWebgpu > 100,
        `kernels: webgpu ${nWebgpu}, delta-webgpu ${nDelta}, cpu ${nCpu}, delta-cpu ${nDeltaCpu}`);

    // posenet frame sequence: cpu reference, then delta-webgpu exact mode.
    const r = await fetch(`/frames/${job.model}/${job.clip}`);
    const all = new Uint8Array(await r.arrayBuffer());
    const size = job.size * job.size * 3;
    const frames = Array.from({length: all.length / size}, (_, f) => all.subarray(f * size, (f + 1) * size));
    const input = (fr) => tf.tensor4d(Float32Array.from(fr, (v) => v / 127.5 - 1), [1, job.size, job.size, 3]);
    const url = `/models/${job.model}/model.json?size=${job.size}x${job.size}`;
    const run = async (model, fr) => {
      const x = input(fr);
      const ys = model.execute(x);
      const vals = await Promise.all(ys.map((t) => t.data()));
      tf.dispose([x, ...ys]);
      return vals;
    };
    await tf.setBackend('cpu');
    let model = await tf.loadGraphModel(url);
    const ref = [];
    for (const fr of frames) ref.push(await run(model, fr));
    model.dispose();

    const okSet = await tf.setBackend('delta-webgpu');
    check('tf.setBackend("delta-webgpu") with the UMD build', okSet && tf.getBackend() === 'delta-webgpu', tf.getBackend());
    const device = tf.backend().device;
    const errors = [];
    device.addEventListener('uncapturederror', (e) => errors.push(`uncaptured: ${e.error && e.error.message}`));
    tfDelta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
    tfDelta.reset();
    model = await tf.loadGraphModel(url);
    const rel = [], deltaLayers = [], ms = [];
    for (let f = 0; f < frames.length; f++) {
      const t0 = performance.now();
      device.pushErrorScope('validation');
      device.pushErrorScope('internal');
      device.pushErrorScope('out-of-memory');
      const out = await run(model, frames[f]);
      for (let i = 0; i < 3; i++) { const e = await device.popErrorScope(); if (e) errors.push(`frame ${f}: ${e.message}`); }
      ms.push(Math.round(performance.now() - t0));
      rel.push(Math.max(...out.map((o, i) => relErr(o, ref[f][i]))));
      await tfDelta.settleStats();
      deltaLayers.push(tfDelta.stats().layers.filter((l) => l.mode === 'delta').length);
    }
    model.dispose();
    console.log(`[page] umd ${job.model}/${job.clip}: rel vs cpu per frame ${rel.map((e) => e.toExponential(2)).join(', ')}; delta layers ${deltaLayers}; ms ${ms}`);
    check(`${job.model} on ${job.clip}, ${frames.length} frames: delta-webgpu (UMD) matches cpu within 1e-4`, rel.every((e) => e <= 1e-4), `rel ${rel}`);
    check(`${job.model} on ${job.clip}: delta path after the first frame`, deltaLayers.slice(1).every((n) => n > 0) && deltaLayers[0] === 0, `delta layers per frame ${deltaLayers}`);
    check(`${job.model} on ${job.clip}: no device errors`, errors.length === 0, errors.join(' | '));

    // delta-cpu through the UMD: two frames of a relu, the second a delta update.
    await tf.setBackend('delta-cpu');
    tfDelta.reset();
    const y1 = tfDelta.frame(() => tf.relu(tf.tensor([-1, 2, -3, 4])));
    const y2 = tfDelta.frame(() => tf.relu(tf.tensor([-1, 5, -3, 4])));
    const v = [Array.from(await y1.data()), Array.from(await y2.data())];
    const modes = tfDelta.stats().layers.map((l) => l.mode);
    check('delta-cpu (UMD): relu frames exact, second one a delta update',
        JSON.stringify(v) === '[[0,2,0,4],[0,5,0,4]]' && JSON.stringify(modes) === '["delta"]', `${JSON.stringify(v)} ${modes}`);
    return checks;
  };
})();
