// Runs the real models on consecutive frames of one clip, three ways: dense 'cpu' (the reference),
// 'delta-cpu' in exact mode (all thresholds 0) and 'delta-cpu' with a 2% input threshold, and returns
// what test/models/models.spec.ts asserts and reports. Used inline or as a worker_threads worker
// (one worker per clip, so that the two clips run on two cores): see runClipInWorker().
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import * as delta from 'tfjs-backend-delta';
import type {GraphModel} from '@tensorflow/tfjs-converter';
import {readFileSync} from 'node:fs';
import {isMainThread, parentPort, Worker, workerData} from 'node:worker_threads';
import {KEYPOINT_NAMES, keypointDistances, median, movenetKeypoints, relErr} from 'tfjs-backend-delta/cli';
import {MODELS, ModelSpec, frameToInput, inputThreshold, loadModel, outputNames} from './models';
import {Clip, decodeFrames, setDataIndex, setupData} from './video';

export interface ClipJob {
  clip: string;              // 'vtest' | 'pose_1'
  models: string[];
  start: number;
  frames: number;
  innerThreshold: number;    // `threshold` of the thresholded run (the brief: input threshold only -> 0)
  explicitFrames: boolean;   // wrap each execute in delta.frame() (default: automatic frame detection)
}

export interface RunError { frame: number; message: string; stack?: string }

export interface ExactResult {
  worstRel: number;                          // max over frames and outputs
  worstAt: {frame: number; output: string} | null;
  worstRelPerOutput: Record<string, number>;
  relPerFrame: number[];                     // max over outputs, per frame
  /** Per output: {tol, floor} = 1e-4 and 1e-6 (no exceptions: delta-cpu is bit-identical to cpu). */
  tolerance: Record<string, {tol: number; floor: number}>;
  /** (frame, output) pairs over their tolerance, worst first (at most 10). */
  failures: Array<{frame: number; output: string; rel: number; tol: number}>;   // rel: with the output's floor
  deltaLayersPerFrame: number[];             // layers that ran their delta kernel on that frame
  fallbackLayersPerFrame: number[];
  layersPerFrame: number[];
  fallbackKernels: Record<string, string>;   // kernel -> first fallback reason seen (frames >= 1)
  numTensors: {baseline: number; perFrame: number[]};
  msPerFrame: number[];
  error: RunError | null;
  apiMissing: boolean;
}

export interface ThresholdResult {
  inputThreshold: number;
  innerThreshold: number;
  meanActive: number;                        // mean over frames >= 1 of the mean over layers of activeFraction
  macRatio: number;                          // sum denseMacs / sum performedMacs over frames >= 1
  perFrame: Array<{frame: number; meanActive: number; denseMacs: number; performedMacs: number;
    deltaLayers: number; fallbackLayers: number; layers: number}>;
  layers: Array<{name: string; kernel: string; outputShape: number[]; meanActive: number; modes: string}>;
  relVsDensePerFrame: number[];              // informational: output drift against the dense reference
  keypointDevPx: {median: number; max: number; perFrame: number[]} | null;   // MoveNet only
  numTensors: {baseline: number; perFrame: number[]};
  msPerFrame: number[];
  error: RunError | null;
  apiMissing: boolean;
}

export interface ModelClipResult {
  model: string;
  clip: string;
  start: number;
  frames: number;
  inputSize: [number, number];
  outputs: string[];
  refMsPerFrame: number[];
  refError: RunError | null;
  /** Conditioning of each output on dense cpu itself: max|a-b|/max|a| between frame 0 and frame 0 with
   *  every input value multiplied by (1 + u), |u| <= 2^-23 (float inputs only; null for int inputs). */
  cpuNoise: Record<string, number> | null;
  exact: ExactResult | null;
  threshold: ThresholdResult | null;
  /** MoveNet on pose_1: dense result vs pose_1.json (tfjs-models' golden), px of the 576x576 frame. */
  referenceDevPx: {median: number; max: number} | null;
  seconds: number;
}

type Outputs = Float32Array[];     // one per model output, in outputNames() order

export const EXACT_TOLERANCE = 1e-4;

const hasApi = () => typeof (delta as {configure?: unknown}).configure === 'function' &&
    typeof (delta as {stats?: unknown}).stats === 'function' && typeof (delta as {reset?: unknown}).reset === 'function';

/** Runs one frame: input tensor on the active backend, execute, read every output, dispose all. */
function runFrame(model: GraphModel, spec: ModelSpec, frame: Uint8Array, explicit: boolean): Outputs {
  const x = frameToInput(spec, frame);
  const exec = () => model.execute(x);
  const y = explicit && hasApi() ? delta.frame(exec) : exec();
  const ys = Array.isArray(y) ? y : [y as tf.Tensor];
  const vals = ys.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>));
  tf.dispose([x, ...ys]);
  return vals;
}

function errorOf(frame: number, e: unknown): RunError {
  const err = e as Error;
  return {frame, message: String(err?.message ?? e), stack: err?.stack?.split('\n').slice(0, 12).join('\n')};
}

interface DeltaFrameStats { meanActive: number; denseMacs: number; performedMacs: number; deltaLayers: number;
  fallbackLayers: number; layers: number; fallbacks: Array<[string, string]>;
  perLayer: Array<{name: string; kernel: string; outputShape: number[]; active: number; mode: string}> }

function frameStats(): DeltaFrameStats {
  const st = delta.stats();
  const layers = st.layers;
  let sumActive = 0, denseMacs = 0, performedMacs = 0, deltaLayers = 0, fallbackLayers = 0;
  const fallbacks: Array<[string, string]> = [];
  for (const l of layers) {
    sumActive += l.activeFraction;
    denseMacs += l.denseMacs; performedMacs += l.performedMacs;
    const mode = (l as {mode?: string}).mode;
    if (mode === 'delta') deltaLayers++;
    if (mode === 'fallback') {
      fallbackLayers++;
      fallbacks.push([l.kernel, String((l as {fallbackReason?: string | null}).fallbackReason ?? '')]);
    }
  }
  return {meanActive: layers.length ? sumActive / layers.length : NaN, denseMacs, performedMacs, deltaLayers,
    fallbackLayers, layers: layers.length, fallbacks,
    perLayer: layers.map((l) => ({name: l.name, kernel: l.kernel, outputShape: l.outputShape, active: l.activeFraction,
      mode: String((l as {mode?: string}).mode)}))};
}

async function runDense(spec: ModelSpec, clip: Clip, explicit: boolean) {
  await tf.setBackend('cpu');
  const model = await loadModel(spec.name);
  const outputs: Outputs[] = [];
  const ms: number[] = [];
  const names = outputNames(model);
  let noise: Record<string, number> | null = null;
  try {
    for (let f = 0; f < clip.frames.length; f++) {
      const t0 = performance.now();
      outputs.push(runFrame(model, spec, clip.frames[f], explicit));
      ms.push(performance.now() - t0);
    }
    if (spec.dtype === 'float32') {
      // The model's own sensitivity to float rounding (deterministic perturbation of frame 0).
      const x = frameToInput(spec, clip.frames[0]);
      const v = Float32Array.from(x.dataSync() as Float32Array);
      let seed = 12345;
      for (let i = 0; i < v.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        v[i] *= 1 + ((seed / 2 ** 32) * 2 - 1) * 2 ** -23;
      }
      const xp = tf.tensor(v, x.shape, 'float32');
      const y = model.execute(xp);
      const ys = Array.isArray(y) ? y : [y as tf.Tensor];
      noise = {};
      ys.forEach((t, i) => { noise![names[i] ?? String(i)] = relErr(t.dataSync() as Float32Array, outputs[0][i]); });
      tf.dispose([x, xp, ...ys]);
    }
  } finally {
    model.dispose();
  }
  return {outputs, ms, names, noise};
}

async function runExact(spec: ModelSpec, clip: Clip, ref: Outputs[], names: string[], job: ClipJob): Promise<ExactResult> {
  const tolerance: Record<string, {tol: number; floor: number}> = {};
  for (const n of names) {
    tolerance[n] = {tol: EXACT_TOLERANCE, floor: 1e-6};
  }
  const res: ExactResult = {worstRel: 0, worstAt: null, worstRelPerOutput: {}, relPerFrame: [], tolerance, failures: [],
    deltaLayersPerFrame: [],
    fallbackLayersPerFrame: [], layersPerFrame: [], fallbackKernels: {}, numTensors: {baseline: 0, perFrame: []},
    msPerFrame: [], error: null, apiMissing: !hasApi()};
  await tf.setBackend('delta-cpu');
  if (hasApi()) {
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
    delta.reset();
  }
  const model = await loadModel(spec.name);
  res.numTensors.baseline = tf.memory().numTensors;
  let f = 0;
  try {
    for (; f < clip.frames.length; f++) {
      const t0 = performance.now();
      const out = runFrame(model, spec, clip.frames[f], job.explicitFrames);
      res.msPerFrame.push(performance.now() - t0);
      res.numTensors.perFrame.push(tf.memory().numTensors);
      let frameWorst = 0;
      out.forEach((o, i) => {
        const e = relErr(o, ref[f][i]);
        const name = names[i] ?? String(i);
        res.worstRelPerOutput[name] = Math.max(res.worstRelPerOutput[name] ?? 0, e);
        if (e > frameWorst) frameWorst = e;
        if (!(e <= res.worstRel)) { res.worstRel = e; res.worstAt = {frame: f, output: name}; }
        const {tol, floor} = tolerance[name] ?? {tol: EXACT_TOLERANCE, floor: 1e-6};
        const checked = floor === 1e-6 ? e : relErr(o, ref[f][i], floor);
        if (!(checked <= tol)) res.failures.push({frame: f, output: name, rel: checked, tol});
      });
      res.relPerFrame.push(frameWorst);
      if (hasApi()) {
        const s = frameStats();
        res.deltaLayersPerFrame.push(s.deltaLayers);
        res.fallbackLayersPerFrame.push(s.fallbackLayers);
        res.layersPerFrame.push(s.layers);
        if (f > 0) for (const [k, why] of s.fallbacks) if (!(k in res.fallbackKernels)) res.fallbackKernels[k] = why;
      }
    }
  } catch (e) {
    res.error = errorOf(f, e);
  } finally {
    model.dispose();
  }
  res.failures.sort((a, b) => b.rel / b.tol - a.rel / a.tol);
  res.failures.length = Math.min(res.failures.length, 10);
  return res;
}

async function runThreshold(spec: ModelSpec, clip: Clip, ref: Outputs[], job: ClipJob): Promise<ThresholdResult> {
  const t = inputThreshold(spec);
  const res: ThresholdResult = {inputThreshold: t, innerThreshold: job.innerThreshold, meanActive: NaN, macRatio: NaN,
    perFrame: [], layers: [], relVsDensePerFrame: [], keypointDevPx: null, numTensors: {baseline: 0, perFrame: []},
    msPerFrame: [], error: null, apiMissing: !hasApi()};
  if (!hasApi()) return res;
  await tf.setBackend('delta-cpu');
  delta.configure({inputThreshold: t, threshold: job.innerThreshold, thresholds: {}});
  delta.reset();
  const model = await loadModel(spec.name);
  res.numTensors.baseline = tf.memory().numTensors;
  const isMovenet = spec.name.startsWith('movenet');
  const kpDev: number[] = [];
  const kpFrame: number[] = [];
  const perLayer = new Map<string, {name: string; kernel: string; outputShape: number[]; sum: number; n: number; modes: Set<string>}>();
  let f = 0;
  try {
    for (; f < clip.frames.length; f++) {
      const t0 = performance.now();
      const out = runFrame(model, spec, clip.frames[f], job.explicitFrames);
      res.msPerFrame.push(performance.now() - t0);
      res.numTensors.perFrame.push(tf.memory().numTensors);
      res.relVsDensePerFrame.push(Math.max(...out.map((o, i) => relErr(o, ref[f][i]))));
      const s = frameStats();
      if (f > 0) {
        res.perFrame.push({frame: f, meanActive: s.meanActive, denseMacs: s.denseMacs, performedMacs: s.performedMacs,
          deltaLayers: s.deltaLayers, fallbackLayers: s.fallbackLayers, layers: s.layers});
        for (const l of s.perLayer) {
          let e = perLayer.get(l.name);
          if (!e) perLayer.set(l.name, e = {name: l.name, kernel: l.kernel, outputShape: l.outputShape, sum: 0, n: 0, modes: new Set()});
          e.sum += l.active; e.n++; e.modes.add(l.mode);
        }
      }
      if (isMovenet && f > 0) {
        const d = keypointDistances(movenetKeypoints(out[0], clip), movenetKeypoints(ref[f][0], clip));
        kpDev.push(...d);
        kpFrame.push(median(d));
      }
    }
  } catch (e) {
    res.error = errorOf(f, e);
  } finally {
    model.dispose();
  }
  if (res.perFrame.length) {
    res.meanActive = res.perFrame.reduce((a, p) => a + p.meanActive, 0) / res.perFrame.length;
    const dm = res.perFrame.reduce((a, p) => a + p.denseMacs, 0), pm = res.perFrame.reduce((a, p) => a + p.performedMacs, 0);
    res.macRatio = pm > 0 ? dm / pm : Infinity;
  }
  res.layers = [...perLayer.values()].map((e) => ({name: e.name, kernel: e.kernel, outputShape: e.outputShape,
    meanActive: e.sum / e.n, modes: [...e.modes].join('/')}));
  if (isMovenet && kpDev.length) res.keypointDevPx = {median: median(kpDev), max: Math.max(...kpDev), perFrame: kpFrame};
  return res;
}

function referenceDeviation(spec: ModelSpec, clip: Clip, ref: Outputs[], job: ClipJob): {median: number; max: number} | null {
  const file = setupData().references[job.clip];
  if (!spec.name.startsWith('movenet') || !file) return null;
  const golden = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, {x: number; y: number}>>;
  const d: number[] = [];
  ref.forEach((out, f) => {
    const g = golden[job.start + f];
    if (!g) return;
    movenetKeypoints(out[0], clip).forEach(({x, y}, k) => {
      const p = g[KEYPOINT_NAMES[k]];
      if (p) d.push(Math.hypot(x - p.x, y - p.y));
    });
  });
  return d.length ? {median: median(d), max: Math.max(...d)} : null;
}

export async function runModelOnClip(name: string, job: ClipJob, log: (line: string) => void = console.log): Promise<ModelClipResult> {
  const t0 = Date.now();
  const spec = MODELS[name];
  const file = setupData().clips[job.clip];
  if (!file) throw new Error(`clip ${job.clip} is not available`);
  const clip = decodeFrames(file, {start: job.start, count: job.frames, width: spec.width, height: spec.height, fit: spec.fit});
  const r: ModelClipResult = {model: name, clip: job.clip, start: job.start, frames: job.frames, inputSize: [spec.height, spec.width],
    outputs: [], refMsPerFrame: [], refError: null, cpuNoise: null, exact: null, threshold: null, referenceDevPx: null, seconds: 0};
  let dense;
  try {
    dense = await runDense(spec, clip, false);
  } catch (e) {
    r.refError = errorOf(-1, e);
    r.seconds = (Date.now() - t0) / 1000;
    return r;
  }
  r.outputs = dense.names;
  r.refMsPerFrame = dense.ms;
  r.cpuNoise = dense.noise;
  r.referenceDevPx = referenceDeviation(spec, clip, dense.outputs, job);
  r.exact = await runExact(spec, clip, dense.outputs, dense.names, job);
  r.threshold = await runThreshold(spec, clip, dense.outputs, job);
  r.seconds = (Date.now() - t0) / 1000;
  const ms = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN).toFixed(0);
  const th = r.threshold;
  log(`[models] ${name} on ${job.clip} (${job.frames} frames, ${r.seconds.toFixed(1)} s): ` +
    `ms/frame cpu ${ms(r.refMsPerFrame)}, exact ${ms(r.exact.msPerFrame)}, thresh ${ms(th.msPerFrame)}; ` +
    `exact worst rel ${r.exact.worstRel.toExponential(2)}` + (r.exact.error ? ` ERROR@${r.exact.error.frame}: ${r.exact.error.message}` : '') +
    `; thresh ${+th.inputThreshold.toPrecision(6)}: mean active ${th.meanActive.toFixed(3)}, MAC ratio ${th.macRatio.toFixed(2)}` +
    (th.keypointDevPx ? `, kp dev median ${th.keypointDevPx.median.toFixed(2)} px` : '') +
    (th.error ? ` ERROR@${th.error.frame}: ${th.error.message}` : ''));
  return r;
}

export async function runClip(job: ClipJob, log: (line: string) => void = console.log): Promise<ModelClipResult[]> {
  const out: ModelClipResult[] = [];
  for (const m of job.models) {
    out.push(await runModelOnClip(m, job, log));
    await new Promise((r) => setImmediate(r));    // let the log message out
  }
  return out;
}

/** Runs a clip job in a worker thread (its own tfjs engine and delta state). */
export function runClipInWorker(job: ClipJob): Promise<ModelClipResult[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, {workerData: {job, index: setupData()}, resourceLimits: {maxOldGenerationSizeMb: 6144}});
    let done = false;
    w.on('message', (m: {results?: ModelClipResult[]; error?: string; log?: string}) => {
      if (m.log !== undefined) { console.log(m.log); return; }
      done = true;
      if (m.error) reject(new Error(m.error)); else resolve(m.results!);
    });
    w.on('error', (e) => { done = true; reject(e); });
    w.on('exit', (code) => { if (!done) reject(new Error(`worker for ${job.clip} exited ${code} without results`)); });
  });
}

if (!isMainThread && workerData?.job && parentPort) {
  const port = parentPort;
  setDataIndex(workerData.index);
  // Log through the port: a busy worker's own stdout reaches the parent late, or not before it exits.
  runClip(workerData.job as ClipJob, (line) => port.postMessage({log: line})).then(
      (results) => port.postMessage({results}),
      (e) => port.postMessage({error: String((e as Error)?.stack ?? e)}));
}
