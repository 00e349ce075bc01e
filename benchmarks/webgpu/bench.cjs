#!/usr/bin/env node
// delta-webgpu vs tfjs-backend-webgpu (dense) on the same video frames, in Node through Dawn (issue 4's
// benchmark). One configuration per run:
//   node benchmarks/webgpu/bench.cjs --model posenet|movenet-thunder --frames FILE(.rgb|.rgbd.xz, + .json)
//     [--batch B] [--warmup 5] [--timed 10] [--nochange 5] [--seeds 3] [--thresholds 0/0,0.02/0.01]
//     [--adapter lavapipe|swiftshader|default] [--crossover F] [--full-above F] [--backends webgpu,delta-webgpu] [--out FILE.json]
//     [--profile] [--replay] [--cpuprofile DIR]
// Frames: benchmarks/webgpu/frames.mjs (the model input is the frame as decoded, no resize). Batch B = B camera
// streams: stream b reads frame t + 2b of the same clip. Per backend: `warmup` frames, then `timed` frames (wall
// time from making the input tensor of the frame's values, converted before the timer, to every output's `await
// data()`: what an app sees, as ANCHORS.md measured tfjs-webgpu); delta-webgpu per threshold pair (input/inner):
// the same, then `nochange` frames repeating the last frame's values (a new tensor each), then `seeds` dense frames
// after delta.reset() (warm pipelines). Reported: medians, dense MACs / performed MACs over the timed frames
// (stats, the arithmetic ceiling), keypoint agreement with dense (posenet: share of the 17 heatmap maxima per
// stream within one cell of dense; movenet: share of keypoints within one heatmap cell = 4 px of the 256 input),
// max relative error of every output vs dense, device errors (scopes).
'use strict';
const {existsSync, mkdirSync, readFileSync, writeFileSync} = require('node:fs');
const {spawnSync} = require('node:child_process');
const {basename, dirname, join} = require('node:path');

const argv = process.argv.slice(2);
const opt = (n, d) => { const i = argv.indexOf(n); return i >= 0 ? argv[i + 1] : d; };
const MODEL = opt('--model', 'posenet');
const FRAMES = opt('--frames');
const BATCH = Number(opt('--batch', 1));
const WARMUP = Number(opt('--warmup', 5)), TIMED = Number(opt('--timed', 10));
const NOCHANGE = Number(opt('--nochange', 5)), SEEDS = Number(opt('--seeds', 3));
const THRESHOLDS = opt('--thresholds', '0/0,0.02/0.01').split(',').map((p) => p.split('/').map(Number));
const ADAPTER = opt('--adapter', 'lavapipe');
const CROSSOVER = opt('--crossover', null);
const BACKENDS = opt('--backends', 'webgpu,delta-webgpu').split(',');
const OUTFILE = opt('--out', null);
// --profile: host-side split of the timed frames (execute() returning vs awaiting the outputs) and, on
// delta-webgpu, host ms per frame in the data plane's methods (wrapped timers; nested calls overlap)
const PROFILE = argv.includes('--profile');
// --replay: delta-webgpu frames through delta.replayModel(model) (the recorded kernel sequence below tfjs' graph
// executor and engine; the first two warm-up frames record it)
const REPLAY = argv.includes('--replay');
// --cpuprofile DIR: V8 CPU profile of each backend's timed frames only (warm-up excluded: first-frame shader
// compiles and weight uploads would swamp it), written as DIR/[<--out's name>-]<backend>[-thresholds].cpuprofile
// (Chrome DevTools; benchmarks/webgpu/cpuprofile-top.cjs sums it per call site)
const CPUPROFILE = opt('--cpuprofile', null);
// (--profile also counts, per frame of each phase, the command recording of both backends: compute passes,
// dispatches (tfjs' and ours), buffer copies and clears, queue submits; wrapped on the Dawn prototypes)
const MODELS_DIR = opt('--models', process.env.DELTA_BENCH_MODELS || join(__dirname, '..', '..', '.cache', 'models'));

// WebGPU first (tfjs-backend-webgpu registers its backend only if navigator.gpu exists when imported).
// --dawn FLAGS: Dawn instance flags for the default adapter (e.g. enable-dawn-features=skip_validation)
const DAWN = opt('--dawn', null);
if (DAWN) {
  const {create, globals} = require('webgpu');
  Object.assign(globalThis, globals);
  globalThis.navigator = {gpu: create(DAWN.split(' '))};
}
const {installNodeWebGPU} = require('../../dist/cjs/webgpu/node_gpu.js');
const inst = installNodeWebGPU(ADAPTER === 'default' ? undefined : ADAPTER);
if (!inst.ok) throw new Error(inst.why);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-webgpu');
const deltaWebgpu = require('../../dist/cjs/webgpu/register.js');
/** --profile: recording counts of the current phase (GPU* prototypes of Dawn, both backends). */
const REC = {passes: 0, dispatches: 0, copies: 0, clears: 0, submits: 0, writeBuffers: 0};
if (PROFILE) {
  const count = (proto, name, key) => { const f = proto?.[name]; if (!f) return; proto[name] = function(...a) { REC[key]++; return f.apply(this, a); }; };
  count(globalThis.GPUCommandEncoder?.prototype, 'beginComputePass', 'passes');
  count(globalThis.GPUCommandEncoder?.prototype, 'copyBufferToBuffer', 'copies');
  count(globalThis.GPUCommandEncoder?.prototype, 'clearBuffer', 'clears');
  count(globalThis.GPUComputePassEncoder?.prototype, 'dispatchWorkgroups', 'dispatches');
  count(globalThis.GPUComputePassEncoder?.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
  count(globalThis.GPUQueue?.prototype, 'submit', 'submits');
  count(globalThis.GPUQueue?.prototype, 'writeBuffer', 'writeBuffers');
}
const recSnap = () => ({...REC});
const recPer = (a, b, n) => Object.fromEntries(Object.keys(REC).map((k) => [k, +((b[k] - a[k]) / n).toFixed(1)]));
const delta = require('../../dist/cjs/index.js');
const {loadGraphModel} = require('@tensorflow/tfjs-converter');
if (CROSSOVER !== null) deltaWebgpu.configureDeltaWebGPU({denseCrossover: Number(CROSSOVER)});
// --full-above F: delta-webgpu's fullUpdateAbove (busy chains: dense steps hand full updates; > 1: never)
const FULL_ABOVE = opt('--full-above', null);
if (FULL_ABOVE !== null) deltaWebgpu.configureDeltaWebGPU({fullUpdateAbove: Number(FULL_ABOVE)});

const SPECS = {
  'posenet': {dir: 'posenet', json: 'model.json', dtype: 'float32', map: (v) => v / 127.5 - 1, heatmap: 'MobilenetV1/heatmap_2/BiasAdd',
    outputs: ['MobilenetV1/displacement_fwd_2/BiasAdd', 'MobilenetV1/heatmap_2/BiasAdd', 'MobilenetV1/displacement_bwd_2/BiasAdd', 'MobilenetV1/offset_2/BiasAdd']},
  'movenet-thunder': {dir: 'movenet-thunder', json: 'movenet-thunder.json', dtype: 'int32', map: (v) => v, outputs: ['Identity']},
};
const spec = SPECS[MODEL];
if (!spec) throw new Error(`--model ${MODEL}: one of ${Object.keys(SPECS)}`);

function loadFrames(file) {
  const meta = JSON.parse(readFileSync(file.replace(/\.(rgb|rgbd\.xz)$/, '.json'), 'utf8'));
  let data;
  if (file.endsWith('.rgbd.xz')) {
    const r = spawnSync('xz', ['-dc', file], {maxBuffer: 1 << 30});
    if (r.status !== 0) throw new Error(`xz -dc ${file}: ${r.stderr}`);
    data = new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
    const frame = meta.width * meta.height * 3;
    for (let i = frame; i < data.length; i++) data[i] = (data[i] + data[i - frame]) & 255;
  } else {
    data = new Uint8Array(readFileSync(file));
  }
  return {...meta, data};
}
const clip = loadFrames(FRAMES);
const [H, W] = [clip.height, clip.width];
const frameBytes = H * W * 3;
const needed = WARMUP + TIMED + 2 * (BATCH - 1);
if (clip.frames < needed) throw new Error(`${FRAMES}: ${clip.frames} frames, need ${needed} (warmup + timed + 2 x (batch - 1))`);

/** The model input values for frame t (stream b reads frame t + 2b): the app's own conversion of the frame's bytes,
 * made before the timed region (a JS loop over every byte: 5-9 ms a 769x577 frame on the H100 machine's host, the same
 * for both backends), as ANCHORS.md timed tfjs-webgpu from the input tensor on. */
function inputValues(t) {
  const n = BATCH * frameBytes;
  const v = spec.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let b = 0; b < BATCH; b++) {
    const src = clip.data.subarray((t + 2 * b) * frameBytes, (t + 2 * b + 1) * frameBytes);
    const o = b * frameBytes;
    for (let i = 0; i < frameBytes; i++) v[o + i] = spec.map(src[i]);
  }
  return v;
}

function handler() {
  const json = join(MODELS_DIR, spec.dir, spec.json);
  return {async load() {
    const j = JSON.parse(readFileSync(json, 'utf8'));
    for (const node of j.modelTopology.node) {
      const d = node.op === 'Placeholder' ? node.attr?.shape?.shape?.dim : null;
      if (d?.length === 4) { d[0].size = String(BATCH); d[1].size = String(H); d[2].size = String(W); }
    }
    return tf.io.getModelArtifactsForJSON(j, async (manifest) => {
      const specs = [], bufs = [];
      for (const g of manifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(readFileSync(join(dirname(json), p))); }
      const all = Buffer.concat(bufs);
      return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
    });
  }};
}

const median = (a) => { if (!a.length) return NaN; const b = [...a].sort((x, y) => x - y); return b.length % 2 ? b[b.length >> 1] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2; };
function relErr(a, b) { let m = 0, r = 0; for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); if (!(d <= m)) m = d; r = Math.max(r, Math.abs(b[i])); } return m / Math.max(r, 1e-6); }

/** Keypoints per stream: posenet heatmap argmax cells [y, x]; movenet (y, x) in input pixels. */
function keypoints(outs, model) {
  const res = [];
  if (MODEL === 'posenet') {
    const hm = outs[spec.outputs.indexOf(spec.heatmap)];
    const {h, w} = model.hm;
    for (let b = 0; b < BATCH; b++) {
      for (let k = 0; k < 17; k++) {
        let best = -Infinity, at = 0;
        for (let p = 0; p < h * w; p++) { const v = hm[(b * h * w + p) * 17 + k]; if (v > best) { best = v; at = p; } }
        res.push([Math.floor(at / w), at % w]);
      }
    }
  } else {
    const o = outs[0];
    for (let b = 0; b < BATCH; b++) for (let k = 0; k < 17; k++) res.push([o[(b * 17 + k) * 3] * H, o[(b * 17 + k) * 3 + 1] * W]);
  }
  return res;
}
function agreement(a, b) {
  const cell = MODEL === 'posenet' ? 1 : 4;
  let ok = 0;
  a.forEach((p, i) => { if (Math.abs(p[0] - b[i][0]) <= cell && Math.abs(p[1] - b[i][1]) <= cell) ok++; });
  return ok / a.length;
}

/** Starts V8's sampling profiler (100 us); `stop(file)` writes the profile. The timed frames' stats reads run inside it. */
async function startCpuProfile() {
  const session = new (require('node:inspector').Session)();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', {interval: 100});
  await post('Profiler.start');
  return {async stop(file) {
    const {profile} = await post('Profiler.stop');
    session.disconnect();
    mkdirSync(dirname(file), {recursive: true});
    writeFileSync(file, JSON.stringify(profile));
    console.log(`[cpuprofile] ${file}`);
  }};
}

async function runFrame(model, t, device, errors) {
  device.pushErrorScope('out-of-memory'); device.pushErrorScope('internal'); device.pushErrorScope('validation');
  const values = inputValues(t);
  const t0 = performance.now();
  const x = tf.tensor4d(values, [BATCH, H, W, 3], spec.dtype);
  const tInput = performance.now();
  const y = model.execute(x, spec.outputs);
  const ys = Array.isArray(y) ? y : [y];
  const tExec = performance.now();
  const outs = await Promise.all(ys.map((y) => y.data()));
  const ms = performance.now() - t0;
  if (PROFILE) {
    model.execMs = (model.execMs ?? 0) + (tExec - t0); model.awaitMs = (model.awaitMs ?? 0) + (performance.now() - tExec);
    model.inputMs = (model.inputMs ?? 0) + (tInput - t0);  // the app's share of execMs: tf.tensor4d of the frame's values
  }
  if (!model.hm) { const s = ys[spec.outputs.indexOf(spec.heatmap)]?.shape; model.hm = s ? {h: s[1], w: s[2]} : {}; }
  tf.dispose([x, ...ys]);
  for (const e of [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()]) if (e) errors.push(`frame ${t}: ${e.message.split('\n')[0]}`);
  return {ms, outs};
}

async function runBackend(name, thr) {
  await tf.setBackend(name);
  const b = tf.backend();
  const device = b.device;
  const isDelta = name === 'delta-webgpu';
  if (isDelta) { delta.configure({inputThreshold: thr[0], threshold: thr[1], thresholds: {}, keyframeInterval: 0}); delta.reset(); }
  let model = await loadGraphModel(handler());
  let replay = null;
  if (isDelta && REPLAY) {
    if (WARMUP < 3) throw new Error('--replay needs --warmup >= 3 (two frames record)');
    const loaded = model;
    replay = delta.replayModel(loaded);
    model = {execute: (x, outputs) => replay.execute(x, outputs), dispose: () => { replay.dispose(); loaded.dispose(); }};
  }
  const errors = [];
  const r = {backend: name, thresholds: isDelta ? {input: thr[0], inner: thr[1]} : null, warmupMs: [], ms: [], outs: [], macs: null,
    nochangeMs: [], seedMs: [], denseSteps: 0, modes: null, errors};
  let t = 0;
  for (; t < WARMUP; t++) r.warmupMs.push((await runFrame(model, t, device, errors)).ms);
  let dm = 0, pm = 0;
  if (isDelta) await delta.settleStats();
  const c0 = isDelta ? {...b.plane.counters} : null;
  const T = {};
  const rec0 = recSnap();
  if (PROFILE) {
    model.execMs = 0; model.awaitMs = 0; model.inputMs = 0;
    const wrap = (o, name, label) => { if (!o[name]) return; const f = o[name]; o[name] = function(...a) { const t = performance.now(); try { return f.apply(this, a); } finally { T[label] = (T[label] ?? 0) + performance.now() - t; } }; };
    wrap(b, 'submitQueue', 'submitQueue');
    if (isDelta) {
      for (const k of ['step', 'seed', 'dispatch', 'deferCounts', 'denseCompute', 'tfjsKernel', 'recordDebug']) wrap(b.plane, k, `plane.${k}`);
      wrap(b.deltaEngine, 'call', 'engine.call');
    }
  }
  const profiler = CPUPROFILE ? await startCpuProfile() : null;
  for (let k = 0; k < TIMED; k++, t++) {
    const f = await runFrame(model, t, device, errors);
    r.ms.push(f.ms);
    r.outs.push(f.outs);
    if (isDelta) {
      await delta.settleStats();  // outside the timing
      const s = delta.stats();
      dm += s.totals.denseMacs; pm += s.totals.performedMacs;
      const modes = {};
      for (const l of s.layers) modes[l.mode] = (modes[l.mode] ?? 0) + 1;
      r.modes = modes;
    }
  }
  if (profiler) {
    const prefix = OUTFILE ? `${basename(OUTFILE, '.json')}-` : '';
    await profiler.stop(join(CPUPROFILE, `${prefix}${name}${thr ? `-${thr.join('_')}` : ''}.cpuprofile`));
  }
  if (PROFILE) {
    r.profile = {execMs: model.execMs / TIMED, inputMs: model.inputMs / TIMED, awaitMs: model.awaitMs / TIMED, ...Object.fromEntries(Object.entries(T).map(([k, v]) => [k, v / TIMED]))};
    if (isDelta) { const c = b.plane.counters; r.profile.dispatchesPerFrame = (c.dispatches - c0.dispatches) / TIMED; r.profile.stepsPerFrame = (c.steps - c0.steps) / TIMED; }
    console.log(`[profile] ${name}${thr ? ` ${thr.join('/')}` : ''} (ms per timed frame): ${JSON.stringify(Object.fromEntries(Object.entries(r.profile).map(([k, v]) => [k, +v.toFixed(2)])))}`);
    r.recording = {timed: recPer(rec0, recSnap(), TIMED)};
    console.log(`[profile] ${name}${thr ? ` ${thr.join('/')}` : ''} recording per timed frame (both: tfjs' and ours): ${JSON.stringify(r.recording.timed)}`);
  }
  /** --profile: host ms of execute() and recording counts per frame of a later phase (no-change, seed). */
  const phase = async (label, n, frame) => {
    const a = recSnap(), e0 = model.execMs ?? 0, i0 = model.inputMs ?? 0, w0 = model.awaitMs ?? 0, T0 = {...T};
    const c0 = isDelta ? {...b.plane.counters} : null;
    const cpu0 = process.cpuUsage();
    const ms = [];
    for (let k = 0; k < n; k++) ms.push(await frame(k));
    const cpu = process.cpuUsage(cpu0);
    if (!PROFILE || !n) return ms;
    r.recording[label] = recPer(a, recSnap(), n);
    // execMs includes inputMs (making the input tensor); awaitMs: the outputs' data() (read-backs)
    const host = {execMs: +(((model.execMs ?? 0) - e0) / n).toFixed(2), inputMs: +(((model.inputMs ?? 0) - i0) / n).toFixed(2),
      awaitMs: +(((model.awaitMs ?? 0) - w0) / n).toFixed(2),
      // CPU time of the whole process per frame (all threads: Dawn's, the software adapter's, GC), user + system:
      // steadier than wall time on a loaded machine
      cpuMs: +((cpu.user + cpu.system) / 1000 / n).toFixed(2)};
    if (c0) {
      // the plane's read-back counters where it has them: GPU read-backs of output values, reads served from its host copy
      const c = b.plane.counters;
      for (const k of ['readbacks', 'readCacheHits', 'hostUnchanged']) if (k in c) r.recording[label][k] = +((c[k] - c0[k]) / n).toFixed(1);
    }
    for (const k of Object.keys(T)) host[k] = +(((T[k] ?? 0) - (T0[k] ?? 0)) / n).toFixed(2);
    r.profile[label] = host;
    console.log(`[profile] ${name}${thr ? ` ${thr.join('/')}` : ''} ${label} frame: host ms ${JSON.stringify(host)}, recording ${JSON.stringify(r.recording[label])}`);
    return ms;
  };
  if (isDelta) {
    const c = b.plane.counters;
    // touched: a dense-computed conv step counted at its candidates' share (what a perfect sparse kernel does)
    const touched = pm - (c.performedMacs - c0.performedMacs) + (c.touchedMacs - c0.touchedMacs);
    r.macs = {dense: dm, performed: pm, touched, ceiling: dm / Math.max(1, pm), touchedCeiling: dm / Math.max(1, touched)};
    r.denseSteps = c.denseSteps - c0.denseSteps;
    r.hostDenseSteps = (c.hostDenseSteps ?? 0) - (c0.hostDenseSteps ?? 0);
    r.passThroughSteps = (c.passThroughSteps ?? 0) - (c0.passThroughSteps ?? 0);
    r.nochangeMs = await phase('nochange', NOCHANGE, async () => (await runFrame(model, t - 1, device, errors)).ms);
    r.seedMs = await phase('seed', SEEDS, async () => { delta.reset(); return (await runFrame(model, t - 1, device, errors)).ms; });
  }
  r.hm = model.hm;
  if (replay) r.replay = replay.stats();
  model.dispose();
  return r;
}

(async () => {
  const adapterInfo = await (async () => { const a = await navigator.gpu.requestAdapter(); return a?.info ? `${a.info.vendor} ${a.info.architecture} ${a.info.device} ${a.info.description}`.trim() : '?'; })();
  const t0 = Date.now();
  const runs = [];
  const dense = BACKENDS.includes('webgpu') ? await runBackend('webgpu', null).catch((e) => ({backend: 'webgpu', error: String(e.message ?? e)})) : null;
  if (dense) runs.push(dense);
  if (BACKENDS.includes('delta-webgpu')) {
    for (const thr of THRESHOLDS) runs.push(await runBackend('delta-webgpu', thr).catch((e) => ({backend: 'delta-webgpu', thresholds: thr, error: String(e.stack ?? e)})));
  }
  const denseMs = dense && !dense.error ? median(dense.ms) : NaN;
  const rows = runs.map((r) => {
    if (r.error) return {backend: r.backend, thresholds: r.thresholds, error: r.error};
    const row = {backend: r.backend, thresholds: r.thresholds ? `${r.thresholds.input}/${r.thresholds.inner}` : 'dense',
      medianMs: +median(r.ms).toFixed(2), minMs: +Math.min(...r.ms).toFixed(2), warmupFirstMs: +r.warmupMs[0].toFixed(0)};
    if (r.backend === 'delta-webgpu') {
      row.speedup = +(denseMs / row.medianMs).toFixed(3);
      row.macCeiling = +r.macs.ceiling.toFixed(3);
      row.touchedCeiling = +r.macs.touchedCeiling.toFixed(3);
      row.shareOfCeiling = +(row.speedup / row.macCeiling).toFixed(3);
      row.noChangeMs = +median(r.nochangeMs).toFixed(2);
      row.noChangeShareOfDense = +(row.noChangeMs / denseMs).toFixed(3);
      row.seedMs = +median(r.seedMs).toFixed(2);
      row.seedVsDense = +(row.seedMs / denseMs).toFixed(3);
      row.denseSteps = r.denseSteps;
      if (r.hostDenseSteps !== undefined) { row.hostDenseSteps = r.hostDenseSteps; row.passThroughSteps = r.passThroughSteps; }
      row.modes = JSON.stringify(r.modes);
      if (dense && !dense.error) {
        let agree = 0, worst = 0;
        r.outs.forEach((o, k) => {
          agree += agreement(keypoints(o, {hm: dense.hm ?? r.hm}), keypoints(dense.outs[k], {hm: dense.hm ?? r.hm}));
          o.forEach((v, i) => { worst = Math.max(worst, relErr(v, dense.outs[k][i])); });
        });
        row.keypointAgreement = +(agree / r.outs.length).toFixed(4);
        row.maxRelErr = +worst.toExponential(2);
      }
    }
    if (r.replay) row.replayed = `${r.replay.replayedFrames}/${r.replay.frames}`;
    row.deviceErrors = r.errors.length ? r.errors.slice(0, 3).join(' | ') : '';
    if (r.profile) { row.profile = r.profile; row.recording = r.recording; }
    return row;
  });
  const result = {date: new Date().toISOString(), adapter: adapterInfo, model: MODEL, clip: clip.clip, size: `${W}x${H}`, batch: BATCH,
    warmup: WARMUP, timed: TIMED, replay: REPLAY, crossover: CROSSOVER ?? deltaWebgpu.DEFAULT_DENSE_CROSSOVER, seconds: (Date.now() - t0) / 1000,
    command: `node benchmarks/webgpu/bench.cjs ${argv.join(' ')}`, rows,
    perFrameMs: Object.fromEntries(runs.filter((r) => !r.error).map((r) => [`${r.backend}${r.thresholds ? ` ${r.thresholds.input}/${r.thresholds.inner}` : ''}`, r.ms.map((m) => +m.toFixed(2))])),
    noChangePerFrameMs: Object.fromEntries(runs.filter((r) => !r.error && r.nochangeMs.length).map((r) => [`${r.backend} ${r.thresholds.input}/${r.thresholds.inner}`, r.nochangeMs.map((m) => +m.toFixed(2))]))};
  console.log(`[bench] ${MODEL} ${clip.clip} ${W}x${H} batch ${BATCH} on ${adapterInfo} (${result.seconds.toFixed(0)} s)`);
  console.table(rows.map((r) => { const {modes, profile, recording, ...rest} = r; void modes; void profile; void recording; return rest; }));
  if (OUTFILE) writeFileSync(OUTFILE, JSON.stringify(result, null, 1));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
