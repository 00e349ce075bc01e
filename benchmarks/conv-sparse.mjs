// "Work really skipped": one 3x3 conv layer (1x256x256x32 -> 32) on delta-cpu, on frames where ~2% of
// the pixels change in a few blobs, against the same layer's own dense path (a keyframe: the dense run
// that seeds the slot) and against tfjs' plain 'cpu' backend. Exact mode (all thresholds 0), so the
// delta output is checked against the cpu output too.
//
//   npm run build && node benchmarks/conv-sparse.mjs [--size 256] [--channels 32] [--active 0.02]
//       [--blobs 4] [--frames 20] [--warmup 8] [--dense-reps 5] [--fused] [--out benchmarks/results/conv-sparse-cpu.json]
//
// Prints a table and writes JSON (command, machine, date, medians, speedups, MACs) to --out.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import * as delta from 'tfjs-backend-delta';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';
import os from 'node:os';
import {performance} from 'node:perf_hooks';

const loadBefore = os.loadavg()[0];

// ---- options ----------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
function opt(name, def) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  if (typeof def === 'boolean') return true;
  const v = argv[i + 1];
  return typeof def === 'number' ? Number(v) : v;
}
const SIZE = opt('size', 256);
const CH = opt('channels', 32);
const ACTIVE = opt('active', 0.02);
const BLOBS = opt('blobs', 4);
const FRAMES = opt('frames', 20);
const WARMUP = opt('warmup', 8);
const DENSE_REPS = opt('dense-reps', 5);
const FUSED = opt('fused', false);
const OUT = opt('out', 'benchmarks/results/conv-sparse-cpu.json');
const SEED = opt('seed', 1234);

// ---- helpers ----------------------------------------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const uniform = (lo, hi) => lo + (hi - lo) * rand();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** Next frame: BLOBS disks (total area ~ACTIVE of the image) at random places get a new value. */
function nextFrame(prev) {
  const v = prev.slice();
  const r = Math.sqrt((ACTIVE * SIZE * SIZE) / BLOBS / Math.PI);
  const changed = new Uint8Array(SIZE * SIZE);
  for (let b = 0; b < BLOBS; b++) {
    const cy = uniform(r, SIZE - r), cx = uniform(r, SIZE - r);
    const d = Array.from({length: CH}, () => uniform(-0.5, 0.5));
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
        if (y < 0 || y >= SIZE || x < 0 || x >= SIZE || (y - cy) ** 2 + (x - cx) ** 2 > r * r) continue;
        const p = y * SIZE + x;
        changed[p] = 1;
        for (let c = 0; c < CH; c++) v[p * CH + c] += d[c];
      }
    }
  }
  let n = 0;
  for (const c of changed) n += c;
  return {v, changedFraction: n / (SIZE * SIZE)};
}

// ---- data -------------------------------------------------------------------------------------------
const xShape = [1, SIZE, SIZE, CH];
const wShape = [3, 3, CH, CH];
const W = Float32Array.from({length: 9 * CH * CH}, () => uniform(-1, 1) / Math.sqrt(9 * CH));
const B = Float32Array.from({length: CH}, () => uniform(-0.1, 0.1));
const frames = [Float32Array.from({length: SIZE * SIZE * CH}, () => uniform(-1, 1))];
const changedFractions = [1];
for (let f = 1; f < WARMUP + FRAMES + 1; f++) {
  const n = nextFrame(frames[f - 1]);
  frames.push(n.v);
  changedFractions.push(n.changedFraction);
}

function layer(x, w, b) {
  return FUSED ?
    tf.fused.conv2d({x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu'}) :
    tf.conv2d(x, w, 1, 'same');
}
const kernelName = FUSED ? 'FusedConv2D' : 'Conv2D';

// ---- 1. plain 'cpu' backend ---------------------------------------------------------------------------
await tf.setBackend('cpu');
const cpuTimes = [];
let cpuLast = null;
{
  const w = tf.tensor4d(W, wShape), b = tf.tensor1d(B);
  for (let rep = 0; rep < DENSE_REPS + 1; rep++) {
    const f = frames.length - 1 - (rep % 2);
    const x = tf.tensor4d(frames[f], xShape);
    const t0 = performance.now();
    const y = layer(x, w, b);
    const vals = y.dataSync();
    const t = performance.now() - t0;
    if (rep > 0) cpuTimes.push(t);   // the first run warms up the JIT
    if (f === frames.length - 1) cpuLast = Float32Array.from(vals);
    tf.dispose([x, y]);
  }
  tf.dispose([w, b]);
}

// ---- 2. delta-cpu: the layer's dense path (keyframes) and delta frames ------------------------------
await tf.setBackend('delta-cpu');
delta.reset();
delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, debug: false, keyframeInterval: 0});
const w = tf.tensor4d(W, wShape), b = tf.tensor1d(B);
const runFrame = (f) => {
  const x = tf.tensor4d(frames[f], xShape);
  const t0 = performance.now();
  const y = delta.frame(() => layer(x, w, b));
  const vals = y.dataSync();
  const t = performance.now() - t0;
  const st = delta.stats().layers.find((l) => l.kernel === kernelName);
  tf.dispose(x);
  return {t, y, vals, st};
};

// Dense path of the slot: every timed run is a keyframe (the seed: dense scatter + state for later
// frames), alternating between two frames. The first run of each kind is a JIT warm-up, not timed.
const denseTimes = [];
for (let rep = 0; rep < DENSE_REPS + 1; rep++) {
  delta.reset({keyframe: true});
  const r = runFrame(rep % 2 ? 0 : 1);
  if (r.st.mode !== 'dense') throw new Error(`keyframe run took mode ${r.st.mode}`);
  if (rep > 0) denseTimes.push(r.t);
  tf.dispose(r.y);
}

// Delta frames: seed on frame 0, warm-up, then measure.
delta.reset();
tf.dispose(runFrame(0).y);
const deltaTimes = [], performed = [], dense = [], activeOut = [], changedIn = [];
let deltaLast = null;
for (let f = 1; f < frames.length; f++) {
  const r = runFrame(f);
  if (r.st.mode !== 'delta') throw new Error(`frame ${f}: the ${kernelName} slot ran '${r.st.mode}' (${r.st.fallbackReason ?? ''})`);
  if (f > WARMUP) {
    deltaTimes.push(r.t);
    performed.push(r.st.performedMacs);
    dense.push(r.st.denseMacs);
    activeOut.push(r.st.activeFraction);
    changedIn.push(changedFractions[f]);
  }
  if (f === frames.length - 1) deltaLast = Float32Array.from(r.vals);
  tf.dispose(r.y);
}
// Frames without change (a new tensor with the previous frame's values): the fixed per-frame cost
// (diffing the input against the slot's baseline), no MACs.
const idleTimes = [], idleMacs = [];
for (let rep = 0; rep < 5; rep++) {
  const r = runFrame(frames.length - 1);
  if (r.st.mode !== 'delta') throw new Error(`unchanged frame: the ${kernelName} slot ran '${r.st.mode}'`);
  idleTimes.push(r.t);
  idleMacs.push(r.st.performedMacs);
  tf.dispose(r.y);
}
tf.dispose([w, b]);

// Exact mode: the last delta frame equals the cpu result.
let maxDiff = 0, maxRef = 0;
for (let i = 0; i < cpuLast.length; i++) {
  maxDiff = Math.max(maxDiff, Math.abs(cpuLast[i] - deltaLast[i]));
  maxRef = Math.max(maxRef, Math.abs(cpuLast[i]));
}
const relErr = maxDiff / Math.max(maxRef, 1e-6);

// ---- report -----------------------------------------------------------------------------------------
const med = {deltaFrameMs: median(deltaTimes), deltaDenseMs: median(denseTimes), cpuDenseMs: median(cpuTimes),
  deltaUnchangedFrameMs: median(idleTimes)};
const macs = {performed: median(performed), dense: median(dense)};
const result = {
  benchmark: 'conv-sparse',
  command: `node ${process.argv.slice(1).map((a) => a.replace(process.cwd() + '/', '')).join(' ')}`,
  date: new Date().toISOString(),
  machine: {cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`,
    tfjsCore: tf.version_core, loadavg1mAtStart: Number(loadBefore.toFixed(2)), loadavg1mAtEnd: Number(os.loadavg()[0].toFixed(2))},
  config: {input: xShape, filter: wShape, op: FUSED ? 'tf.fused.conv2d (bias, relu), pad same' : 'tf.conv2d, stride 1, pad same',
    activeTarget: ACTIVE, blobs: BLOBS, warmupFrames: WARMUP, measuredFrames: FRAMES, denseReps: DENSE_REPS, seed: SEED,
    thresholds: 'all 0 (exact mode)'},
  medians: med,
  speedups: {vsOwnDense: med.deltaDenseMs / med.deltaFrameMs, vsCpu: med.cpuDenseMs / med.deltaFrameMs},
  macs: {performedMedian: macs.performed, denseMedian: macs.dense, ratio: macs.performed / macs.dense,
    unchangedFrameMax: Math.max(...idleMacs)},
  activity: {inputChangedMedian: median(changedIn), outputActiveMedian: median(activeOut)},
  check: {relErrLastFrameVsCpu: relErr, ok: relErr <= 1e-5},
  target: {vsOwnDense: 10, met: med.deltaDenseMs / med.deltaFrameMs >= 10},
  timingsMs: {deltaFrame: deltaTimes, deltaDense: denseTimes, cpuDense: cpuTimes, deltaUnchangedFrame: idleTimes},
};

console.log(`conv-sparse: ${result.config.op}, input ${xShape.join('x')}, filter ${wShape.join('x')}; ` +
  `${(median(changedIn) * 100).toFixed(2)}% of input pixels changed per frame in ${BLOBS} blobs`);
console.log(`machine: ${result.machine.cpu} (${result.machine.cores} cores), node ${process.version}, ` +
  `load average ${result.machine.loadavg1mAtStart} -> ${result.machine.loadavg1mAtEnd}`);
console.table({
  'delta-cpu delta frame': {medianMs: fmt(med.deltaFrameMs), runs: deltaTimes.length, speedup: '1.0x'},
  'delta-cpu dense path (keyframe)': {medianMs: fmt(med.deltaDenseMs), runs: denseTimes.length,
    speedup: `${(med.deltaDenseMs / med.deltaFrameMs).toFixed(1)}x slower`},
  'cpu backend conv': {medianMs: fmt(med.cpuDenseMs), runs: cpuTimes.length, speedup: `${(med.cpuDenseMs / med.deltaFrameMs).toFixed(1)}x slower`},
  'delta-cpu frame without change': {medianMs: fmt(med.deltaUnchangedFrameMs), runs: idleTimes.length,
    speedup: `MACs ${Math.max(...idleMacs)}`},
});
console.log(`MACs per delta frame: ${macs.performed.toLocaleString()} of ${macs.dense.toLocaleString()} dense ` +
  `(${(100 * macs.performed / macs.dense).toFixed(2)}%); output pixels active: ${(100 * median(activeOut)).toFixed(2)}%`);
console.log(`delta vs own dense path: ${result.speedups.vsOwnDense.toFixed(1)}x (target >= 10x: ${result.target.met ? 'met' : 'NOT met'}); ` +
  `vs cpu backend: ${result.speedups.vsCpu.toFixed(1)}x; exact-mode check vs cpu: rel ${relErr.toExponential(2)} ${result.check.ok ? 'ok' : 'FAILED'}`);
mkdirSync(dirname(OUT), {recursive: true});
writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${OUT}`);
if (!result.check.ok) process.exitCode = 1;
