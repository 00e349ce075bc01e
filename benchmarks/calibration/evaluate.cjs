#!/usr/bin/env node
/**
 * Acceptance evaluation of calibrated thresholds (issue 6) on a delta backend: calibrate per-layer thresholds
 * with a task metric on calibration frames, then on separate evaluation frames compare them with a
 * sweep of single global thresholds: task agreement with the dense run and dense MACs / performed MACs.
 *
 *   npm run build && nice -n 10 node benchmarks/calibration/evaluate.cjs --model posenet --size 129x129 \
 *     --video vtest --cal 0,50 --eval 100,300 --target 0.99 --evaluations 30 --out benchmarks/results/calibration
 *
 * --backend delta-cpu (default) | delta-cuda | delta-webgpu. Dense reference of the evaluation frames
 * (computed once per run, shared by every setting): on delta-cpu tfjs' own 'cpu' backend; on the GPU
 * backends the same backend in dense mode (keyframeInterval 1: every layer runs the backend's dense kernel
 * on every frame), which is fast there. --cost-model sparse (default) | device, delta-cuda only: 'sparse'
 * turns off the plane's dense crossover (every delta step is a sparse recompute), so performed MACs count
 * the changed pixels' work as on delta-cpu; 'device' keeps the GPU's cost model, whose dense steps count
 * every MAC of the layer (the device's real work, not the sparsity). --emulate: delta-cuda on the emulated
 * addon of the specs (build/test/cuda/emulated_addon.js, `node scripts/build-tests.mjs`; or $DELTA_EMULATED_ADDON),
 * no GPU: checks the path. --seconds S: calibrate()'s time budget (with --evaluations); --deadline T (epoch
 * seconds): calibrate() gets at most half the time left, and evaluation settings after T are skipped (listed).
 * --model NAME or a model.json path; --frames PACK[,PACK]: frames from pre-decoded packs (frames.cjs; no
 * ffmpeg), whose name gives clip, size and first frame; a pack of another size than the model's is resized
 * (bilinear, stretch models only) and the JSON says so. Writes <out>/<model>-<clip>[-tag].json and .svg.
 */
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const {mkdirSync, writeFileSync, readFileSync} = require('node:fs');
const {join, resolve, basename} = require('node:path');
// static paths: esbuild bundles this file for the GPU machine (scripts/calibration/pack.mjs)
const delta = require('../../dist/cjs/index.js');
const {resolveModel, loadModelFile, frameToInput} = require('../../dist/cjs/cli/models.js');
const {decodeFrames} = require('../../dist/cjs/cli/video.js');
const {resolveVideo} = require('../../dist/cjs/cli/paths.js');
const {lineChart, PALETTE} = require('../../dist/cjs/cli/svg.js');
const {taskMetricFor} = require('../../dist/cjs/cli/task.js');
const {compileMetric} = require('../../dist/cjs/core/task_metrics.js');
const {decodePack, framesFromPacks, resizeBilinear} = require('./frames.cjs');

/** Registers the chosen backend; returns its tfjs name and how the dense reference is computed. */
async function setupBackend(o) {
  if (o.backend === 'delta-cpu') {
    require('../../dist/cjs/cpu/register.js');
    return {name: 'delta-cpu', reference: 'cpu', referenceText: "tfjs' cpu backend"};
  }
  const referenceText = `${o.backend} dense mode (keyframeInterval 1: the backend's dense kernels on every frame)`;
  if (o.backend === 'delta-webgpu') {
    require('../../dist/cjs/webgpu/register.js');
    return {name: 'delta-webgpu', reference: 'dense-mode', referenceText};
  }
  if (o.backend !== 'delta-cuda') throw new Error(`--backend ${o.backend}: expected delta-cpu, delta-cuda or delta-webgpu`);
  require('../../dist/cjs/cuda/register.js');
  const {cudaPlaneOptions} = require('../../dist/cjs/cuda/plane.js');
  if (o['cost-model'] === 'sparse') cudaPlaneOptions.denseCrossover = 2;   // > 1: never dense (plane.ts)
  else if (o['cost-model'] !== 'device') throw new Error(`--cost-model ${o['cost-model']}: expected sparse or device`);
  if (!o.emulate) return {name: 'delta-cuda', reference: 'dense-mode', referenceText};
  // The specs' emulated addon (JS) behind the real plane, tfjs-cpu kernels as the dense ones (as
  // test/cuda/delta_backend_emulated.spec.ts); a runtime path: not part of the GPU bundle.
  const emulatedPath = process.env.DELTA_EMULATED_ADDON || resolve(__dirname, '..', '..', 'build', 'test', 'cuda', 'emulated_addon.js');
  const {EmulatedAddon} = require(emulatedPath);
  const {cpuKernels, DeltaCudaBackend} = require('../../dist/cjs/cuda/backend.js');
  const NAME = 'delta-cuda-emulated';
  class EmulatedCudaBackend extends DeltaCudaBackend {
    constructor() { const a = new EmulatedAddon(); a.cachedBytes = () => 0; super(a); }
    runDense(kernelName, inputs, attrs) { return cpuKernels.get(kernelName)({inputs, attrs, backend: this}); }
  }
  for (const [name, k] of cpuKernels) {
    tf.registerKernel({kernelName: name, backendName: NAME, kernelFunc: (args) => args.backend.deltaEngine.call(name, args, k)});
  }
  tf.registerBackend(NAME, () => new EmulatedCudaBackend());
  return {name: NAME, reference: 'dense-mode', referenceText: `${NAME} dense mode (keyframeInterval 1; the emulated addon's dense kernels are tfjs-cpu's)`};
}

function args() {
  const a = {model: 'posenet', video: 'vtest', cal: '0,50', eval: '100,300', target: '0.99', evaluations: '30', out: 'benchmarks/results/calibration',
    backend: 'delta-cpu', 'cost-model': 'sparse'};
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i].replace(/^--/, '');
    if (k === 'emulate') { a.emulate = true; continue; }   // the one flag without a value
    if (i + 1 >= v.length) throw new Error(`${v[i]} needs a value`);
    a[k] = v[++i];
  }
  const range = (s) => { const [x, y] = s.split(',').map(Number); return {start: x, count: y - x}; };
  return {...a, cal: range(a.cal), eval: range(a.eval), target: Number(a.target), evaluations: Number(a.evaluations),
    size: a.size ? a.size.split('x').map(Number) : undefined, calTarget: a['cal-target'] ? Number(a['cal-target']) : Number(a.target)};
}

async function outputsOf(y) {
  const list = Array.isArray(y) ? y : [y];
  const out = [];
  for (const t of list) out.push({values: Float32Array.from(await t.data()), shape: [...t.shape]});
  tf.dispose(list);
  return out;
}

(async () => {
  const o = args();
  const t0 = Date.now();
  mkdirSync(o.out, {recursive: true});
  const be = await setupBackend(o);
  const r = resolveModel(o.model, {size: o.size});
  const spec = r.spec;
  let clipName, dec, framesSource;
  if (o.frames) {
    const packs = o.frames.split(',').map(decodePack);
    const p0 = packs[0];
    for (const p of packs) {
      if (p.clip !== p0.clip || p.width !== p0.width || p.height !== p0.height || p.fit !== p0.fit) {
        throw new Error(`--frames: packs of different clips or sizes (${o.frames})`);
      }
    }
    const resize = p0.width !== spec.width || p0.height !== spec.height;
    if (resize && (p0.fit !== 'stretch' || (spec.fit ?? 'stretch') !== 'stretch')) {
      throw new Error(`--frames: ${p0.width}x${p0.height} ${p0.fit} packs cannot be resized for ${spec.name} ${spec.width}x${spec.height} (${spec.fit})`);
    }
    if (!resize && p0.fit !== (spec.fit ?? 'stretch')) throw new Error(`--frames: ${p0.fit} packs, ${spec.name} needs ${spec.fit}`);
    clipName = p0.clip;
    dec = (w) => framesFromPacks(packs, w.start, w.count)
        .map((f) => (resize ? resizeBilinear(f, p0.width, p0.height, spec.width, spec.height) : f));
    framesSource = {packs: packs.map((p) => basename(`${p.clip}-${p.width}x${p.height}-${p.fit}-from${p.start}`) + ` (${p.frames.length} frames)`),
      resized: resize ? `bilinear from ${p0.width}x${p0.height} (frames.cjs resizeBilinear)` : null};
  } else {
    const video = resolveVideo(o.video);
    clipName = o.video.replace(/^.*\//, '').replace(/\.[a-z0-9]+$/, '');
    dec = (w) => decodeFrames(video, {start: w.start, count: w.count, width: spec.width, height: spec.height, fit: spec.fit}).frames;
    framesSource = {video: basename(video), decoded: 'ffmpeg (src/cli/video decodeFrames)'};
  }
  const calFrames = dec(o.cal), evalFrames = dec(o.eval);
  const metricSpec = taskMetricFor(spec);
  if (o.within) metricSpec.withinPx = Number(o.within);   // keypoints: tolerance in input pixels
  const metric = compileMetric(metricSpec);
  // Also reported (not calibrated for): the same metric on confident keypoints / boxes only.
  const secondarySpec = metricSpec.kind === 'keypoints' ? {...metricSpec, minScore: 0.5} : metricSpec.kind === 'boxes' ? {...metricSpec, minScore: 0.3} : null;
  const secondary = secondarySpec && compileMetric(secondarySpec);
  const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${spec.name}/${clipName}: ${s}\n`);
  log(`${metric.name}, calibrate on ${o.cal.start}..${o.cal.start + o.cal.count - 1}, evaluate on ${o.eval.start}..${o.eval.start + o.eval.count - 1}`);

  // Dense reference of the evaluation frames (see the header).
  const dense = [];
  let model;
  if (be.reference === 'cpu') {
    await tf.setBackend('cpu');
    model = await loadModelFile(r.file, r.inputSizeRewrite);
    for (const fr of evalFrames) { const x = frameToInput(spec, fr); dense.push(await outputsOf(model.execute(x))); x.dispose(); }
    model.dispose();
  }
  if (!(await tf.setBackend(be.name))) throw new Error(`backend ${be.name} could not be initialized (see the message above)`);
  model = await loadModelFile(r.file, r.inputSizeRewrite);
  if (be.reference === 'dense-mode') {
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 1});
    delta.reset();
    for (const fr of evalFrames) {
      const x = frameToInput(spec, fr);
      dense.push(await outputsOf(delta.frame(() => model.execute(x))));
      x.dispose();
    }
    await delta.settleStats();
    delta.configure({keyframeInterval: 0});
  }
  log(`dense reference done (${be.referenceText})`);

  const runOn = (frames) => (f) => { const x = frameToInput(spec, frames[f]); const y = model.execute(x); x.dispose(); return y; };

  // --deadline (epoch seconds): calibrate() gets at most half the time left, the settings below stop there
  // (calibrated x1 always runs; skipped ones are listed in the JSON).
  const deadline = o.deadline ? Number(o.deadline) * 1000 : Infinity;
  const calSeconds = Math.min(o.seconds ? Number(o.seconds) : Infinity, (deadline - Date.now()) / 2000);
  // 1. Calibrate (or, with --thresholds FILE, reuse a thresholds file written by an earlier run: then
  //    --global-input/--global-threshold give that run's global phase result, and a budget-0 calibrate()
  //    on two frames only measures the layer scales).
  const cal = o.thresholds ? await reuse(o) : await delta.calibrate(runOn(calFrames), calFrames.length, {
    metric: metricSpec, target: o.calTarget, inputRange: spec.range, budget: {evaluations: o.evaluations, ...(Number.isFinite(calSeconds) ? {seconds: calSeconds} : {})},
    onProgress: (p) => log(`  [${p.evaluations}] ${p.phase} ${p.coordinate.slice(0, 28)} = ${p.value.toPrecision(3)}: ` +
      `${p.tried.macRatio.toFixed(2)}x, ${p.tried.metric.toFixed(4)} ${p.accepted ? 'kept' : 'no'}; best ${p.macRatio.toFixed(2)}x`),
  });
  async function reuse(o) {
    const file = delta.parseThresholdsFile(readFileSync(o.thresholds, 'utf8'));
    const probe = await delta.calibrate(runOn(calFrames), 2, {metric: metricSpec, target: o.calTarget, inputRange: spec.range, budget: {evaluations: 0}});
    return {thresholds: file.thresholds, inputThreshold: file.inputThreshold, threshold: file.threshold, macRatio: file.macRatio,
      metric: file.metric, evaluations: Number(o['reused-evaluations'] ?? NaN), keys: file.model.keys, scales: probe.scales,
      global: {inputThreshold: Number(o['global-input'] ?? 0), threshold: Number(o['global-threshold'] ?? 0), macRatio: NaN, metric: NaN},
      reusedFrom: o.thresholds};
  }
  log(`calibrated: ${cal.macRatio.toFixed(2)}x at ${cal.metric.toFixed(4)} (global phase ${cal.global.macRatio.toFixed(2)}x), ${cal.evaluations} evaluations`);
  if (!o.thresholds) writeFileSync(join(o.out, `${spec.name}-${clipName}${o.tag ? `-${o.tag}` : ''}.thresholds.json`), delta.saveThresholds(cal));

  // 2. Evaluate settings on the evaluation frames.
  const run = runOn(evalFrames);
  const skipped = [];
  const evaluate = async (label, cfg, always = false) => {
    if (!always && Date.now() > deadline) { skipped.push(label); log(`  ${label}: skipped (deadline)`); return null; }
    delta.configure({...cfg, keyframeInterval: 0, keyframeErrorBound: 0});
    delta.reset();
    const acc = metric.start(), acc2 = secondary?.start();
    let d = 0, p = 0;
    for (let f = 0; f < evalFrames.length; f++) {
      const out = await outputsOf(delta.frame(() => run(f)));
      if (f > 0) {
        acc.add(dense[f], out);
        acc2?.add(dense[f], out);
        await delta.settleStats();   // delta-cuda: the layers' counts arrive from the device (a no-op on delta-cpu)
        const t = delta.stats().totals; d += t.denseMacs; p += t.performedMacs;
      }
    }
    const row = {label, ...cfg, agreement: acc.value(), ...(acc2 ? {secondary: acc2.value()} : {}), macRatio: d / p};
    log(`  ${label}: agreement ${row.agreement.toFixed(4)}${acc2 ? ` (${secondary.name}: ${row.secondary.toFixed(4)})` : ''}, ${row.macRatio.toFixed(2)}x`);
    return row;
  };
  const span = spec.range[1] - spec.range[0];
  const scales = Object.values(cal.scales).filter((x) => x > 0).sort((a, b) => a - b);
  const medianScale = scales.length ? scales[Math.floor(scales.length / 2)] : 1;
  const scaled = (m) => ({inputThreshold: cal.inputThreshold * m, threshold: cal.threshold * m,
    thresholds: Object.fromEntries(Object.entries(cal.thresholds).map(([k, v]) => [k, v * m]))});
  // calibrated x1 first: the row's result, whatever the deadline leaves of the rest
  const calRows = [{m: 1, ...await evaluate('calibrated x1', scaled(1), true)}];
  const globalRows = [];
  // Single global threshold q: input q x input range, every activation q x the median layer scale.
  for (const q of (o.qs ? o.qs.split(',').map(Number) : [0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16])) {
    const row = await evaluate(`global q=${q}`, {inputThreshold: q * span, threshold: q * medianScale, thresholds: {}});
    if (!row) continue;
    globalRows.push({q, ...row});
    if (row.agreement < o.target - 0.05) break;   // lower agreement than any setting of interest
  }
  const calPhaseGlobal = await evaluate('calibrate() global phase', {inputThreshold: cal.global.inputThreshold, threshold: cal.global.threshold, thresholds: {}});
  for (const m of [0.5, 2]) {
    const row = await evaluate(`calibrated x${m}`, scaled(m));
    if (row) calRows.push({m, ...row});
  }
  calRows.sort((a, b) => a.m - b.m);
  model.dispose();

  const reach = (rows) => rows.filter((x) => x.agreement >= o.target).reduce((b, x) => Math.max(b, x.macRatio), 1);
  const bestGlobal = Math.max(reach(globalRows), reach(calPhaseGlobal ? [calPhaseGlobal] : []));
  const calibrated = calRows.find((x) => x.m === 1);
  const bestCal = reach(calRows);
  const summary = {
    model: spec.name, size: `${spec.width}x${spec.height}`, clip: clipName, metric: metric.name, target: o.target,
    backend: be.name, reference: be.referenceText, frames: framesSource,
    ...(o.backend === 'delta-cuda' ? {costModel: o['cost-model']} : {}), calibrationTarget: o.calTarget,
    secondaryMetric: secondary ? secondary.name + ` (min score ${secondarySpec.minScore}; reported, not calibrated for)` : null,
    calibrationFrames: [o.cal.start, o.cal.start + o.cal.count - 1], evaluationFrames: [o.eval.start, o.eval.start + o.eval.count - 1],
    calibrated: {agreement: calibrated.agreement, macRatio: calibrated.macRatio, reachesTarget: calibrated.agreement >= o.target},
    bestGlobalReachingTarget: bestGlobal, bestCalibratedReachingTarget: bestCal,
    gainOverGlobal: bestCal / bestGlobal, skippedGain: (1 - 1 / bestCal) / Math.max(1e-9, 1 - 1 / bestGlobal),
    calibration: {macRatio: cal.macRatio, metric: cal.metric, evaluations: cal.evaluations, global: cal.global, reusedFrom: cal.reusedFrom,
      inputThreshold: cal.inputThreshold, threshold: cal.threshold, layers: Object.keys(cal.thresholds).length},
    global: globalRows, calibratedScaled: calRows, calibrateGlobalPhase: calPhaseGlobal, ...(skipped.length ? {skippedAtDeadline: skipped} : {}),
    seconds: (Date.now() - t0) / 1000, date: new Date().toISOString(),
    command: `node benchmarks/calibration/evaluate.cjs ${process.argv.slice(2).join(' ')}`,
  };
  mkdirSync(o.out, {recursive: true});
  const base = join(o.out, `${spec.name}-${clipName}${o.tag ? `-${o.tag}` : ''}`);
  writeFileSync(`${base}.json`, JSON.stringify(summary, null, 1) + '\n');
  writeFileSync(`${base}.svg`, lineChart({
    title: `${spec.name} ${spec.width}x${spec.height} on ${clipName}: skipped MACs vs ${metric.name}`,
    subtitle: `${be.name}, frames ${o.eval.start}-${o.eval.start + o.eval.count - 1} (calibrated on ${o.cal.start}-${o.cal.start + o.cal.count - 1}); target ${o.target}`,
    xLabel: 'agreement with dense', yLabel: 'dense MACs / performed MACs',
    series: [
      {name: 'single global threshold', color: PALETTE[0], markers: true, points: globalRows.map((x) => [x.agreement, x.macRatio])},
      {name: 'calibrated (x0.5, x1, x2)', color: PALETTE[1], markers: true, points: calRows.map((x) => [x.agreement, x.macRatio])},
      {name: 'target', color: '#999999', dashed: true, points: [[o.target, 1], [o.target, Math.max(...calRows.map((x) => x.macRatio), ...globalRows.map((x) => x.macRatio))]]},
    ],
    yIncludes: 1,
  }));
  log(`calibrated ${calibrated.macRatio.toFixed(2)}x at ${calibrated.agreement.toFixed(4)}; best global reaching ${o.target}: ` +
      `${bestGlobal.toFixed(2)}x; gain ${(bestCal / bestGlobal).toFixed(2)}x; wrote ${base}.json/.svg`);
})().catch((e) => { console.error(e); process.exit(1); });
