// Host-side cost of a delta-cuda frame without a GPU: the real backend (src/cuda: engine, data plane, the
// dense kernels' JS wrappers) on a "null addon" whose device functions do nothing (buffers are handles
// with a size; kernels return at once; counter read-backs complete at once with zeros, so every delta step
// sees an empty update). What it measures is the JS work per frame that the GPU cannot hide at batch 1:
// tfjs' engine and graph executor, our delta engine (slots, signatures), the plane's host logic, the kernel
// wrappers' argument building. The real addon adds its N-API calls and CUDA launches (~2-5 us each).
//
//   npm run build && node benchmarks/cuda-host-overhead.cjs [--size 769x577] [--frames 600] [--rounds 6] [--json OUT]
// (batch 1: the host work per kernel does not depend on the batch; the model.json fixes batch 1)
//   (--cpu-prof with node's --cpu-prof flag for a profile: node --cpu-prof benchmarks/cuda-host-overhead.cjs)
'use strict';
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const {loadGraphModel} = require('@tensorflow/tfjs-converter');
const delta = require('../dist/cjs/index.js');
require('../dist/cjs/cuda/register.js');
const {DeltaCudaBackend, denseKernels} = require('../dist/cjs/cuda/backend.js');
const {fileHandler, MODELS} = require('../dist/cjs/cli/index.js');
const {readFileSync, writeFileSync} = require('node:fs');
const {join} = require('node:path');

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const [W, H] = opt('size', '769x577').split('x').map(Number);
const FRAMES = Number(opt('frames', 600));
const WARM = 5;
// --keyframe-interval N: the delta settings' keyframe interval (default 300, the library's; 0 = none, for a profile of
// the steady frames alone)
const KEYFRAMES = Number(opt('keyframe-interval', 300));

/** Every addon function is a no-op unless listed; calls are counted per name. */
function nullAddon() {
  const sizes = new Map();
  let next = 1;
  const calls = {};
  const impl = {
    deviceInfo: () => ({count: 1, devices: [{name: 'null', cc: '9.0', memory: 8e10, multiprocessors: 132, l2Bytes: 5e7}]}),
    buildInfo: () => ({archs: 'null', cudaRuntime: 0, napiVersion: 8}),
    init: () => 0,
    alloc: (bytes) => { const h = next++; sizes.set(h, bytes); return h; },
    free: (h) => { sizes.delete(h); },
    size: (h) => { const s = sizes.get(h); if (s === undefined) throw new Error(`null addon: unknown handle ${h}`); return s; },
    download: (h, dst) => dst,
    liveBuffers: () => sizes.size,
    cachedBytes: () => 0,
    deviceMemory: () => ({free: 8e10, total: 8e10, heldBytes: 0, cachedBytes: 0, liveBuffers: sizes.size}),
    readU32: () => 0,
    sparsify: (...a) => (a[9] ? 0 : undefined),  // readCount: nothing changed
    sparsifyProbe: () => 0,                       // nothing changed
    deltaCountersAsync: () => 1,
    deltaCountersPoll: () => true,
    deltaTimerStop: () => 0,
    setConvPrecision: () => true,
  };
  const addon = new Proxy({}, {
    get(_, name) {
      if (name === 'calls') return calls;
      if (typeof name !== 'string') return undefined;
      const f = impl[name] ?? (() => undefined);
      return (...a) => { calls[name] = (calls[name] ?? 0) + 1; return f(...a); };
    },
    has: () => true,
  });
  return addon;
}

function median(a) { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; }

// Settings run in ROUNDS rounds of FRAMES / ROUNDS frames each, interleaved (a, b, c, d, a, b, ...), so that none
// gains from running after the others (JIT warm-up, GC state); per setting the median over all its frames.
const ROUNDS = Number(opt('rounds', 6));

async function main() {
  const addon = nullAddon();
  const data = JSON.parse(readFileSync(join(__dirname, '..', '.cache', 'data.json'), 'utf8'));
  const spec = MODELS.posenet;
  // Two backends on the same null addon: with the delta engine in front of every kernel, and the same dense
  // kernel wrappers registered directly (tfjs + our wrappers alone).
  const DELTA = 'delta-cuda-null', RAW = 'delta-cuda-null-raw';
  for (const [kernelName, dense] of denseKernels) {
    tf.registerKernel({kernelName, backendName: DELTA, kernelFunc: (a) => a.backend.deltaEngine.call(kernelName, a, dense)});
    tf.registerKernel({kernelName, backendName: RAW, kernelFunc: dense});
  }
  tf.registerBackend(DELTA, () => new DeltaCudaBackend(addon));
  tf.registerBackend(RAW, () => new DeltaCudaBackend(addon));
  const models = {};
  for (const name of [RAW, DELTA]) {
    await tf.setBackend(name);
    models[name] = await loadGraphModel(fileHandler(data.models.posenet, [H, W]));
  }
  const settings = [
    {name: 'tfjs + kernel wrappers only (no delta engine)', backend: RAW},
    {name: 'dense-kernels (plane off)', backend: DELTA, planeOff: true},
    // what the batch-1 dense-kernel frame on a GPU costs the host (every kernel runs; nothing is a quiet call)
    {name: 'dense-kernels (plane off), replayed', backend: DELTA, planeOff: true, replay: true},
    {name: 'delta steps (empty updates)', backend: DELTA, inputThreshold: 0.02, threshold: 0.01},
    {name: 'dense (keyframe every frame)', backend: DELTA, keyframeInterval: 1},
    // the same delta steps replayed below tfjs' graph executor and engine (delta.replayModel)
    {name: 'delta steps, replayed (delta.replayModel)', backend: DELTA, inputThreshold: 0.02, threshold: 0.01, replay: true},
  ];
  const replays = {};
  // --only REGEX: run only the settings whose name matches (e.g. for a --cpu-prof profile of one of them)
  const only = opt('only') ? new RegExp(opt('only')) : null;
  if (only) settings.splice(0, settings.length, ...settings.filter((s) => only.test(s.name)));
  const per = Math.max(WARM + 1, Math.ceil(FRAMES / ROUNDS));
  const acc = settings.map(() => ({ms: [], calls: {}, frames: 0, slots: 0}));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, setting] of settings.entries()) {
      await tf.setBackend(setting.backend);
      const b = tf.backend();
      const model = models[setting.backend];
      delta.reset();
      delta.configure({inputThreshold: setting.inputThreshold ?? 0, threshold: setting.threshold ?? 0,
        keyframeInterval: setting.keyframeInterval ?? KEYFRAMES});
      const plane = b.plane;
      const had = plane.hasDeltaKernel;
      if (setting.planeOff) plane.hasDeltaKernel = () => false;
      const pixels = new Float32Array(H * W * 3);
      const c0 = {...addon.calls};
      for (let t = 0; t < WARM + per; t++) {
        // a new input tensor every frame (its own data, uploaded), as a video app has: the first layer diffs it
        // (tf.clone would share the dataId, which the engine sees as the very same input: no diff at all)
        const x = tf.tensor(pixels, [1, H, W, 3]);
        const t0 = performance.now();
        let outs;
        if (setting.replay) outs = (replays[i] ??= delta.replayModel(model)).execute(x, spec.outputs);
        else outs = setting.backend === DELTA ? delta.frame(() => model.execute(x, spec.outputs)) : model.execute(x, spec.outputs);
        const t1 = performance.now();
        if (t >= WARM) acc[i].ms.push(t1 - t0);
        tf.dispose([x, ...outs]);
      }
      for (const [k, v] of Object.entries(addon.calls)) acc[i].calls[k] = (acc[i].calls[k] ?? 0) + v - (c0[k] ?? 0);
      acc[i].frames += WARM + per;
      if (setting.backend === DELTA) acc[i].slots = delta.stats().layers.length;
      if (setting.replay) acc[i].replay = replays[i].stats();
      plane.hasDeltaKernel = had;
    }
  }
  const rows = settings.map((setting, i) => {
    const a = acc[i];
    const calls = Object.fromEntries(Object.entries(a.calls).map(([k, v]) => [k, v / a.frames]).filter(([, v]) => v > 0)
        .sort((x, y) => y[1] - x[1]));
    const row = {setting: setting.name, msMedian: median(a.ms), msMin: Math.min(...a.ms), frames: a.ms.length, slots: a.slots,
      addonCallsPerFrame: calls, addonCallsTotal: Object.values(calls).reduce((x, v) => x + v, 0), replay: a.replay ?? null};
    console.log(`${setting.name}: ${row.msMedian.toFixed(3)} ms/frame host (min ${row.msMin.toFixed(3)}), ` +
        `${row.addonCallsTotal.toFixed(0)} addon calls/frame ${JSON.stringify(calls)}` + (row.replay ? ` replay ${JSON.stringify(row.replay)}` : ''));
    return row;
  });
  const out = opt('json');
  if (out) writeFileSync(out, JSON.stringify({date: new Date().toISOString(), node: process.version, size: `${W}x${H}`,
    batch: 1, frames: FRAMES, rounds: ROUNDS, command: `node benchmarks/cuda-host-overhead.cjs ${args.join(' ')}`, rows}, null, 1));
  for (const m of Object.values(models)) m.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
