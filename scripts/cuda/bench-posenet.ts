// The delta-cuda video benchmark of issue 5 (posenet, same weights and clips as ../shared/ANCHORS.md):
//   vtest.avi at 769x577 with B = 1, 8, 32 independent camera streams, pose_1.mp4 at 577x577 (B = 1, 8, 32).
// B streams are one batched input [B, H, W, 3]; stream s sees frames s, s+1, ... of the clip (offsets of one
// frame: the bundle carries 44 pre-decoded frames per clip). Per configuration: WARM warm-up frames, then
// TIMED frames; per frame, the time of model.execute + a device synchronize (outputs stay on the GPU, as
// ANCHORS' CUDA-event timings; inputs are uploaded before the clock starts), median and p90 over the
// timed frames, plus the same with the download of every output.
// Settings: 'dense' (every frame a keyframe: every slot runs the backend's dense CUDA kernels, our own
// dense mode), 'exact' (thresholds 0 on the delta path), and thresholds t_in / t_act = 0.01 / 0.005,
// 0.02 / 0.01, 0.06 / 0.03 (input in [-1, 1]; ANCHORS' DeltaCNN settings are the last two). For each:
// keypoint agreement with dense (share of the 17 heatmap maxima per stream and frame within one cell of
// dense's), the arithmetic ceiling from our stats (dense MACs / performed MACs over the timed frames, device
// counts settled), the layers' modes, mean active share of the delta layers; the cost of a frame with no
// change (the previous frame's values again, as a new tensor uploaded before the clock: the input is diffed on the
// device); the data plane's counters per timed frame (step kinds, launches); a
// per-kernel profile of one frame (tf.profile, kernel times include a device synchronize each).
//
// Run (bundle): DELTA_CUDA_DATA=<bundle>/data node bench.cjs OUT.json   (run.sh bench does this)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {GraphModel} from '@tensorflow/tfjs-converter';
import * as delta from 'tfjs-backend-delta';
import 'tfjs-backend-delta/cuda';
import {configureDeltaCuda, ConvPrecision, deviceInfo, DeltaCudaBackend} from 'tfjs-backend-delta/cuda';
import {fileHandler, MODELS} from 'tfjs-backend-delta/cli';
import {loadGraphModel} from '@tensorflow/tfjs-converter';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {clipFrames, modelFile, readFramePack} from '../../test/cuda/data';
import {resizeBilinear} from '../../benchmarks/calibration/frames.cjs';

const WARM = Number(process.env.BENCH_WARM || 3);
const TIMED = Number(process.env.BENCH_TIMED || 10);
const BATCHES = (process.env.BENCH_BATCHES || '1,8,32').split(',').map(Number);
// 'dense': every frame a keyframe (each slot runs the backend's dense CUDA kernel and seeds its state):
// our own dense mode, the reference of the speedups. 'exact': thresholds 0 on the delta path.
// 'dense-kernels': the data plane switched off for the cell (every layer runs the backend's dense CUDA kernel
// directly, as the engine's fallback path: the dense GPU cost without slot bookkeeping).
// '+replay': the same setting with frames replayed (delta.replayModel: the recorded kernel sequence below tfjs'
// graph executor and engine; the first two warm-up frames record it).
const SETTINGS: Array<{name: string; inputThreshold: number; threshold: number; keyframeInterval?: number; planeOff?: boolean; replay?: boolean}> = [
  {name: 'dense-kernels', inputThreshold: 0, threshold: 0, planeOff: true},
  {name: 'dense', inputThreshold: 0, threshold: 0, keyframeInterval: 1},
  {name: 'exact', inputThreshold: 0, threshold: 0},
  {name: 't0.01/0.005', inputThreshold: 0.01, threshold: 0.005},
  {name: 't0.02/0.01', inputThreshold: 0.02, threshold: 0.01},
  {name: 't0.06/0.03', inputThreshold: 0.06, threshold: 0.03},
  {name: 't0.02/0.05', inputThreshold: 0.02, threshold: 0.05},
  {name: 't0.04/0.1', inputThreshold: 0.04, threshold: 0.1},
  {name: 'dense-kernels+replay', inputThreshold: 0, threshold: 0, planeOff: true, replay: true},
  {name: 'exact+replay', inputThreshold: 0, threshold: 0, replay: true},
  {name: 't0.01/0.005+replay', inputThreshold: 0.01, threshold: 0.005, replay: true},
  {name: 't0.02/0.01+replay', inputThreshold: 0.02, threshold: 0.01, replay: true},
  {name: 't0.06/0.03+replay', inputThreshold: 0.06, threshold: 0.03, replay: true},
  // calibrate()'s global settings q = 0.01 and 0.02 for posenet (input q x range 2, activations q x the median layer
  // output scale 5.46 measured on pose_1): benchmarks/results/calibration/h100, 3.8x and 6.1x fewer MACs at 257x257
  {name: 't0.02/0.05+replay', inputThreshold: 0.02, threshold: 0.05, replay: true},
  {name: 't0.04/0.1+replay', inputThreshold: 0.04, threshold: 0.1, replay: true},
  // BENCH_GRID='in/act,...': more replayed global settings (input threshold / activation threshold), e.g. to find the
  // fastest one at >= 0.99 agreement; named t<in>/<act>+replay like the ones above
  ...(process.env.BENCH_GRID || '').split(',').filter(Boolean).map((pair) => {
    const [inputThreshold, threshold] = pair.split('/').map(Number);
    if (!(inputThreshold >= 0 && threshold >= 0)) throw new Error(`BENCH_GRID: bad pair ${pair} (want in/act, e.g. 0.01/0.02)`);
    return {name: `t${inputThreshold}/${threshold}+replay`, inputThreshold, threshold, replay: true};
  }),
];
// BENCH_PLANE: variants of the data plane's cost model, each over every setting: 'label:key=value,key=value;label2:...'
// (keys: the CudaDataPlane fields denseCrossover, denseCrossoverDepthwise, fullUpdateAbove, denseWithoutMarkAbove, skipDiffAbove, measureEvery,
// diffedDenseAbove, denseBelowElements; markFree 0/1). Default: one variant, the plane's defaults ('default').
const PLANE_KEYS = ['denseCrossover', 'denseCrossoverDepthwise', 'fullUpdateAbove', 'denseWithoutMarkAbove', 'skipDiffAbove', 'measureEvery',
  'diffedDenseAbove', 'denseBelowElements', 'markFree'] as const;
type PlaneVariant = {label: string; options: Partial<Record<typeof PLANE_KEYS[number], number>>};
const PLANE_VARIANTS: PlaneVariant[] = (process.env.BENCH_PLANE || 'default:').split(';').filter(Boolean).map((v) => {
  const [label, body = ''] = v.split(':');
  const options: PlaneVariant['options'] = {};
  for (const kv of body.split(',').filter(Boolean)) {
    const [k, x] = kv.split('=');
    if (!(PLANE_KEYS as readonly string[]).includes(k) || !Number.isFinite(Number(x))) throw new Error(`BENCH_PLANE: bad option ${kv}`);
    options[k as typeof PLANE_KEYS[number]] = Number(x);
  }
  return {label, options};
});
// BENCH_CLIPS: which clips run (default both)
const CLIPS = (process.env.BENCH_CLIPS || 'vtest,pose_1').split(',');
// BENCH_SETTINGS: a regexp of setting names to run ('dense' always runs: the agreement reference).
// BENCH_PRECISIONS: conv precisions (configureDeltaCuda convPrecision), each over every setting; agreement is
// always against fp32 dense (run first, whatever the list).
const SETTINGS_RE = process.env.BENCH_SETTINGS ? new RegExp(process.env.BENCH_SETTINGS) : null;
const PRECISIONS = (process.env.BENCH_PRECISIONS || 'fp32').split(',') as ConvPrecision[];
// the agreement reference (dense, fp32) runs first whatever BENCH_PRECISIONS asks; fp32 runs the other settings only
// when listed
const RUN_PRECISIONS: ConvPrecision[] = PRECISIONS[0] === 'fp32' ? PRECISIONS : ['fp32', ...PRECISIONS.filter((x) => x !== 'fp32')];
const HEATMAP = 'MobilenetV1/heatmap_2/BiasAdd';
const spec = MODELS['posenet'];

// BENCH_MODEL: a posenet model.json (default: the bundle's); BENCH_FRAMES_FROM: a folder of 257x257 frame packs
// (`<clip>-257x257-stretch.frames.br`, e.g. a calibration carry folder's frames/) resized bilinearly to the
// benchmark's size (frames.cjs's resizeBilinear, half-pixel centres), for a machine that has no room for the bundle's full-size packs (timings do not depend on
// the content; agreement then is on upsampled frames, said in the JSON).
const FRAMES_FROM = process.env.BENCH_FRAMES_FROM;

function benchFrames(clip: string, w: number, h: number, count: number): Uint8Array[] {
  if (!FRAMES_FROM) return clipFrames(clip, w, h, 'stretch', 0, count);
  const S = 257;
  const src = readFramePack(join(FRAMES_FROM, `${clip}-${S}x${S}-stretch.frames.br`), S, S).slice(0, count);
  if (src.length < count) throw new Error(`${FRAMES_FROM}: ${clip} has ${src.length} frames, need ${count}`);
  return src.map((f) => resizeBilinear(f, S, S, w, h));
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}
function p90(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(0.9 * s.length))];
}

/** posenet at h x w with a free batch dimension (the model.json says 1). */
async function loadBatched(file: string, h: number, w: number): Promise<GraphModel> {
  const handler = fileHandler(file, [h, w]);
  const load = handler.load!.bind(handler);
  handler.load = async () => {
    const a = await load();
    type Dim = Array<{size: string}>;
    const free = (d: Dim | undefined) => { if (d?.length === 4) d[0].size = '-1'; };
    for (const node of (a.modelTopology as {node: Array<{op: string; attr?: {shape?: {shape?: {dim?: Dim}}}}>}).node) {
      if (node.op === 'Placeholder') free(node.attr?.shape?.shape?.dim);
    }
    for (const i of Object.values((a.signature as {inputs?: Record<string, {tensorShape?: {dim?: Dim}}>})?.inputs ?? {})) {
      free(i.tensorShape?.dim);
    }
    return a;
  };
  return loadGraphModel(handler);
}

/** [B, H, W, 3] float32 in [-1, 1]: stream s takes frames[s + t]. */
function batchInput(frames: Uint8Array[], t: number, B: number, h: number, w: number): tf.Tensor4D {
  const n = h * w * 3;
  const v = new Float32Array(B * n);
  for (let s = 0; s < B; s++) {
    const f = frames[s + t];
    for (let i = 0; i < n; i++) v[s * n + i] = f[i] / 127.5 - 1;
  }
  return tf.tensor4d(v, [B, h, w, 3]);
}

/** Per stream and keypoint: the heatmap cell of the maximum. */
function argmaxCells(hm: Float32Array, B: number, H: number, W: number, K: number): Int32Array {
  const out = new Int32Array(B * K);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      let best = -Infinity, at = 0;
      for (let p = 0; p < H * W; p++) {
        const v = hm[(b * H * W + p) * K + k];
        if (v > best) { best = v; at = p; }
      }
      out[b * K + k] = at;
    }
  }
  return out;
}

interface Row {
  clip: string; size: string; batch: number; setting: string; precision: ConvPrecision;
  /** BENCH_PLANE variant: its label and the plane options it set. */
  plane: string; planeOptions: PlaneVariant['options'];
  /** Per layer over the timed frames (settled counts): the share of dense MACs performed, mean active share, modes. */
  layers: Array<{name: string; kernel: string; performed: number; active: number; modes: Record<string, number>}>;
  msMedian: number; msP90: number; msMean: number; msWithDownloadMedian: number;
  /** The data plane's counters per timed frame (mean): step kinds, launches, copies. */
  timedPlane: Record<string, number> | null;
  agreement: number | null; ceiling: number; meanActive: number | null;
  noChangeMs: number | null;
  /** Frames without change after the first one (same tensor values again, each as a new tensor): median ms. */
  noChangeRepeatMs: number | null;
  /** The first frame without change: MACs performed (settled device counts) and dense MACs of the frame. */
  noChangeMacs: {performed: number; dense: number} | null;
  /** Layer runs of the first no-change frame that replay skipped (DeltaEngine.quietCall; stats totals.skippedRuns). */
  noChangeSkippedRuns: number | null;
  /** The data plane's counters over that frame (steps, empty steps, count read-backs, launches, output copies). */
  noChangePlane: Record<string, number> | null;
  /**
   * Where a no-change frame's time goes (replayed settings at B = 1; BENCH_NOCHANGE_SPLIT=0 turns it off): per frame,
   * the median wall ms without instrumentation; with it, the mean wall ms, the ms outside every addon function
   * (jsMean: replay, engine, plane logic, tensor bookkeeping) and the inclusive ms and calls per frame of each addon
   * function (launches; waits of synchronous downloads), of the engine's entries, the plane's step and the replay's
   * execute (`addon` holds them all, by label).
   */
  /** The no-change frame with the first layer's count by sparsifyProbe vs by a read-back (BENCH_NOCHANGE_AB). */
  noChangeProbeAB: {probe: number; readBack: number; framesEach: number} | null;
  noChangeSplit: {frames: number; msMedian: number; msMean: number; jsMean: number; addon: Record<string, {ms: number; calls: number}>} | null;
  layerModes: Record<string, number>; cpuKernels: Record<string, number>;
  /** '+replay' settings: the replay model's counts (frames replayed / recorded, kernel calls per frame). */
  replay: delta.ReplayStats | null;
}

async function benchClip(clip: string, w: number, h: number, rows: Row[], profiles: Record<string, unknown>,
                         layerProfiles: Record<string, unknown>) {
  const frames = benchFrames(clip, w, h, Math.max(...BATCHES) - 1 + WARM + TIMED);
  const model: GraphModel = await loadBatched(process.env.BENCH_MODEL || modelFile('posenet')!, h, w);
  const b = tf.backend() as DeltaCudaBackend;
  for (const B of BATCHES) {
    const inputs: tf.Tensor4D[] = [];
    for (let t = 0; t < WARM + TIMED; t++) inputs.push(batchInput(frames, t, B, h, w));
    let exactCells: Int32Array[] = [];
    let dims: number[] = [];
    const planeFields = b.plane as unknown as Record<string, number>;
    const planeDefaults = Object.fromEntries(PLANE_KEYS.map((k) => [k, planeFields[k]]));
    for (const precision of RUN_PRECISIONS) for (const setting of SETTINGS) for (const variant of PLANE_VARIANTS) {
      if (SETTINGS_RE && setting.name !== 'dense' && !SETTINGS_RE.test(setting.name)) continue;
      if (!PRECISIONS.includes(precision) && setting.name !== 'dense') continue;
      // BENCH_NO_REFERENCE=1: no dense fp32 reference (no agreement figures; e.g. under a profiler, only the settings asked)
      if (setting.name === 'dense' && process.env.BENCH_NO_REFERENCE === '1' && !(SETTINGS_RE?.test('dense'))) continue;
      // the reference (fp32 dense) runs once, under the plane's defaults; the plane-off settings do not depend on it
      const planeFree = setting.name === 'dense' || setting.planeOff === true;
      if (planeFree && variant !== PLANE_VARIANTS[0]) continue;
      Object.assign(planeFields, planeDefaults, planeFree ? {} : variant.options);
      configureDeltaCuda({convPrecision: precision});
      delta.reset();
      delta.configure({inputThreshold: setting.inputThreshold, threshold: setting.threshold,
        keyframeInterval: setting.keyframeInterval ?? 300});
      const plane = b.plane as unknown as {hasDeltaKernel(k: string): boolean; probeDiffs: boolean};
      const hasDeltaKernel = plane.hasDeltaKernel;
      if (setting.planeOff) plane.hasDeltaKernel = () => false;
      b.resetCpuFallbacks();
      if (WARM < 3 && setting.replay) throw new Error('BENCH_WARM must be >= 3 for the replay settings (2 frames record)');
      const runner = setting.replay ? delta.replayModel(model) : null;
      const run = (x: tf.Tensor) => (runner ? runner.execute(x, spec.outputs) as tf.Tensor[] :
        delta.frame(() => model.execute(x, spec.outputs) as tf.Tensor[]));
      const ms: number[] = [], msDl: number[] = [];
      const cells: Int32Array[] = [];
      let dense = 0, performed = 0, activeSum = 0, activeN = 0;
      const layerBefore = new Map<string, {d: number; p: number}>();
      let layerRows: Row['layers'] = [];
      const modes: Record<string, number> = {};
      const planeStats = () => ({...(b.plane as unknown as {stats: Record<string, number>}).stats});
      let timed0: Record<string, number> = {};
      for (let t = 0; t < WARM + TIMED; t++) {
        if (t === WARM) timed0 = planeStats();
        b.addon.synchronize();
        const t0 = performance.now();
        // Inputs were uploaded before the clock: mark the frame explicitly (automatic detection keys on
        // input tensors written since the last frame started).
        const outs = run(inputs[t]);
        b.addon.synchronize();
        const t1 = performance.now();
        if (runner && t >= WARM && runner.stats().mode !== 'replay') throw new Error(`replay setting, frame ${t}: ${JSON.stringify(runner.stats())}`);
        const hmT = outs[spec.outputs.indexOf(HEATMAP)];
        const vals = await Promise.all(outs.map((o) => o.data()));
        const t2 = performance.now();
        dims = hmT.shape;
        cells.push(argmaxCells(vals[spec.outputs.indexOf(HEATMAP)] as Float32Array, dims[0], dims[1], dims[2], dims[3]));
        tf.dispose(outs);
        if (t === WARM - 1) {
          // MAC totals of every slot so far (device-side counts settled): subtracted below.
          await delta.settleStats();
          const st = delta.stats({all: true});
          dense -= st.layers.reduce((a, l) => a + l.totalDenseMacs, 0);
          performed -= st.layers.reduce((a, l) => a + l.totalPerformedMacs, 0);
          for (const l of st.layers) layerBefore.set(l.name, {d: l.totalDenseMacs, p: l.totalPerformedMacs});
        }
        if (t >= WARM) {
          ms.push(t1 - t0);
          msDl.push(t2 - t0);
          const st = delta.stats();
          for (const l of st.layers) modes[l.mode] = (modes[l.mode] ?? 0) + 1;
        }
      }
      const timed1 = planeStats();
      const timedPlane = Object.fromEntries(Object.keys(timed1).map((k) => [k, (timed1[k] - (timed0[k] ?? 0)) / TIMED]));
      await delta.settleStats();
      {
        const st = delta.stats({all: true});
        dense += st.layers.reduce((a, l) => a + l.totalDenseMacs, 0);
        performed += st.layers.reduce((a, l) => a + l.totalPerformedMacs, 0);
        for (const l of st.layers) if (l.counts.delta > 0) { activeSum += l.meanActiveFraction; activeN++; }
        layerRows = st.layers.map((l) => {
          const b0 = layerBefore.get(l.name) ?? {d: 0, p: 0};
          const d = l.totalDenseMacs - b0.d, p = l.totalPerformedMacs - b0.p;
          return {name: l.name, kernel: l.kernel, performed: d > 0 ? p / d : 0, active: l.meanActiveFraction, modes: {...l.counts} as Record<string, number>};
        });
      }
      // A frame with no change: the last frame's values again, as a new tensor (read once: both measurements below).
      const last = inputs[WARM + TIMED - 1];
      const lastValues = last.dataSync() as Float32Array;
      let noChangeMs: number | null = null, noChangeRepeatMs: number | null = null;
      let noChangeMacs: Row['noChangeMacs'] = null, noChangePlane: Row['noChangePlane'] = null;
      let noChangeSkippedRuns: number | null = null;
      {
        const repeats: number[] = [];
        for (let r = 0; r < 6; r++) {
          // a new tensor (new upload, before the clock) with the same values: the input is diffed on the device
          const again = tf.tensor4d(lastValues, last.shape);
          const p0 = planeStats();
          const skipped0 = delta.stats().totals.skippedRuns;
          b.addon.synchronize();
          const t0 = performance.now();
          const outs = run(again);
          b.addon.synchronize();
          const t = performance.now() - t0;
          if (r === 0) {
            noChangeMs = t;
            await delta.settleStats();
            const st = delta.stats();
            noChangeMacs = {performed: st.totals.performedMacs, dense: st.totals.denseMacs};
            noChangeSkippedRuns = st.totals.skippedRuns - skipped0;
            const p1 = planeStats();
            noChangePlane = Object.fromEntries(Object.keys(p1).map((k) => [k, p1[k] - (p0[k] ?? 0)]));
          } else {
            repeats.push(t);
          }
          tf.dispose([again, ...outs]);
        }
        noChangeRepeatMs = median(repeats);
      }
      let noChangeSplit: Row['noChangeSplit'] = null;
      let probeAB: Row['noChangeProbeAB'] = null;
      if (runner && B === 1 && process.env.BENCH_NOCHANGE_SPLIT !== '0') {
        // Functions timed in place, inclusive, only inside the timed region: every addon function (the data plane
        // calls them through the same object), the engine's entries, the plane's step, the replay's execute and
        // tfjs' tensor making. (The frames are timed once more without the wrappers: msMedian.)
        const acc: Record<string, {ms: number; calls: number}> = {};
        let timing = false;
        const originals: Array<[Record<string, unknown>, string, unknown]> = [];
        const wrap = (obj: Record<string, unknown>, name: string, label: string) => {
          const f = obj[name];
          if (typeof f !== 'function') return;
          originals.push([obj, name, Object.prototype.hasOwnProperty.call(obj, name) ? f : undefined]);
          obj[name] = function (this: unknown, ...a: unknown[]) {
            if (!timing) return (f as (...a: unknown[]) => unknown).apply(this, a);
            const t = performance.now();
            try { return (f as (...a: unknown[]) => unknown).apply(this, a); } finally {
              const e = (acc[label] ??= {ms: 0, calls: 0});
              e.ms += performance.now() - t;
              e.calls++;
            }
          };
        };
        const addon = b.addon as unknown as Record<string, unknown>;
        for (const name of Object.keys(addon)) if (name !== 'synchronize') wrap(addon, name, `addon.${name}`);
        const eng = b.deltaEngine as unknown as Record<string, unknown>;
        for (const name of ['call', 'quietCall', 'quietOutput', 'withFrame']) wrap(eng, name, `engine.${name}`);
        wrap(b.plane as unknown as Record<string, unknown>, 'step', 'plane.step');
        wrap(b.plane as unknown as Record<string, unknown>, 'currentOutput', 'plane.currentOutput');
        wrap(tf.engine() as unknown as Record<string, unknown>, 'makeTensorFromTensorInfo', 'tf.makeTensorFromTensorInfo');
        wrap(runner as unknown as Record<string, unknown>, 'execute', 'replay.execute');
        const N = Number(process.env.BENCH_NOCHANGE_FRAMES || 40);
        const frames = (timed: boolean) => {
          const walls: number[] = [];
          for (let r = 0; r < N + 2; r++) {
            const again = tf.tensor4d(lastValues, last.shape);
            b.addon.synchronize();
            timing = timed && r >= 2;
            const t0 = performance.now();
            const outs = run(again);
            b.addon.synchronize();
            const t = performance.now() - t0;
            timing = false;
            if (r >= 2) walls.push(t);
            tf.dispose([again, ...outs]);
          }
          return walls;
        };
        let wrapped: number[];
        try {
          wrapped = frames(true);
        } finally {
          for (const [obj, name, f] of originals.reverse()) {
            if (f === undefined) delete obj[name];
            else obj[name] = f;
          }
        }
        const bare = frames(false);
        // A/B of the first layer's count (plane.probeDiffs: sparsifyProbe vs the read-back with the launch), in
        // alternating blocks of N/4 frames on the same input (BENCH_NOCHANGE_AB=1)
        if (process.env.BENCH_NOCHANGE_AB === '1') {
          const on: number[] = [], off: number[] = [];
          for (let blk = 0; blk < 8; blk++) {
            plane.probeDiffs = blk % 2 === 0;
            const w = frames(false);
            (plane.probeDiffs ? on : off).push(...w);
          }
          plane.probeDiffs = true;
          probeAB = {probe: median(on), readBack: median(off), framesEach: on.length};
          console.log(`  no-change A/B (B=1): first layer's count by sparsifyProbe ${probeAB.probe.toFixed(4)} ms, by read-back ` +
            `${probeAB.readBack.toFixed(4)} ms (medians of ${on.length} frames each, alternating blocks)`);
        }
        const msMean = wrapped.reduce((a, x) => a + x, 0) / N;
        const addonMs = Object.entries(acc).filter(([k]) => k.startsWith('addon.')).reduce((a, [, e]) => a + e.ms, 0) / N;
        noChangeSplit = {frames: N, msMedian: median(bare), msMean, jsMean: msMean - addonMs,
          addon: Object.fromEntries(Object.entries(acc).sort((x, y) => y[1].ms - x[1].ms).map(([k, e]) => [k, {ms: e.ms / N, calls: e.calls / N}]))};
        console.log(`  no-change split (B=1, ${N} frames): median ${noChangeSplit.msMedian.toFixed(3)} ms unwrapped; wrapped mean ` +
          `${msMean.toFixed(3)}, outside the addon ${noChangeSplit.jsMean.toFixed(3)}; inclusive ms/frame ` +
          JSON.stringify(Object.fromEntries(Object.entries(noChangeSplit.addon).map(([k, e]) => [k, `${e.ms.toFixed(4)}/${e.calls}`]))));
      }
      plane.hasDeltaKernel = hasDeltaKernel;
      Object.assign(planeFields, planeDefaults);
      const replayStats = runner ? runner.stats() : null;
      runner?.dispose();
      const reference = setting.name === 'dense' && precision === 'fp32';
      if (reference) exactCells = cells;
      let agree: number | null = null;
      if (!reference && exactCells.length) {
        let ok = 0, n = 0;
        const W = dims[2];
        for (let t = WARM; t < WARM + TIMED; t++) {
          for (let i = 0; i < cells[t].length; i++) {
            const a = cells[t][i], e = exactCells[t][i];
            if (Math.abs(Math.floor(a / W) - Math.floor(e / W)) <= 1 && Math.abs((a % W) - (e % W)) <= 1) ok++;
            n++;
          }
        }
        agree = ok / n;
      }
      const row: Row = {clip, size: `${w}x${h}`, batch: B, setting: setting.name, precision,
        plane: planeFree ? '-' : variant.label, planeOptions: planeFree ? {} : variant.options,
        layers: layerRows, msMedian: median(ms), msP90: p90(ms),
        msMean: ms.reduce((a, v) => a + v, 0) / Math.max(1, ms.length), timedPlane,
        msWithDownloadMedian: median(msDl), agreement: agree, ceiling: dense / Math.max(1, performed),
        meanActive: activeN ? activeSum / activeN : null, noChangeMs, noChangeRepeatMs, noChangeMacs, noChangeSkippedRuns, noChangePlane, noChangeSplit, noChangeProbeAB: probeAB, layerModes: modes, cpuKernels: b.cpuFallbacks(),
        replay: replayStats};
      rows.push(row);
      console.log(`${clip} ${w}x${h} B=${B} ${precision} ${setting.name} [${row.plane}]: ${row.msMedian.toFixed(2)} ms (p90 ${row.msP90.toFixed(2)}; ` +
          `+download ${row.msWithDownloadMedian.toFixed(2)}), agree ${agree === null ? '-' : agree.toFixed(3)}, ceiling ` +
          `${row.ceiling.toFixed(2)}x, no-change ${noChangeMs!.toFixed(2)} ms ` +
          `(then ${noChangeRepeatMs!.toFixed(2)}; MACs ${noChangeMacs!.performed}/${noChangeMacs!.dense}, skipped ${noChangeSkippedRuns}; ` +
          `plane ${JSON.stringify(noChangePlane)}), modes ${JSON.stringify(modes)}`);
    }
    configureDeltaCuda({convPrecision: RUN_PRECISIONS[0]});
    // Per-kernel profile of one frame at 0.02/0.01 (each kernel timed with a device synchronize).
    if (process.env.BENCH_PROFILE !== '0' && (B === 1 || B === Math.max(...BATCHES))) {
      delta.reset();
      delta.configure({inputThreshold: 0.02, threshold: 0.01, keyframeInterval: 300});
      for (let t = 0; t < 2; t++) tf.dispose(delta.frame(() => model.execute(inputs[t], spec.outputs) as tf.Tensor[]));
      const prof = await tf.profile(() => delta.frame(() => model.execute(inputs[2], spec.outputs) as tf.Tensor[]));
      const byKernel: Record<string, {ms: number; calls: number}> = {};
      for (const k of prof.kernels) {
        if (k.name.endsWith('__op')) continue;
        const e = byKernel[k.name] ?? (byKernel[k.name] = {ms: 0, calls: 0});
        e.ms += Number(k.kernelTimeMs) || 0;
        e.calls++;
      }
      profiles[`${clip} ${w}x${h} B=${B}`] = byKernel;
      // the same frame call by call, in order (the layers' kernels; each includes a device synchronize)
      layerProfiles[`${clip} ${w}x${h} B=${B}`] = prof.kernels.filter((k) => !k.name.endsWith('__op'))
        .map((k) => ({name: k.name, ms: Number(k.kernelTimeMs) || 0}));
      tf.dispose(prof.result as tf.Tensor[]);
    }
    tf.dispose(inputs);
  }
  model.dispose();
}

async function main() {
  const out = process.argv[2] || 'bench-posenet.json';
  const info = deviceInfo();
  if (info.count === 0) throw new Error(`no CUDA device: ${info.reason}`);
  await tf.setBackend('delta-cuda');
  const rows: Row[] = [];
  const profiles: Record<string, unknown> = {}, layerProfiles: Record<string, unknown> = {};
  const t0 = Date.now();
  if (CLIPS.includes('vtest')) await benchClip('vtest', 769, 577, rows, profiles, layerProfiles);
  if (CLIPS.includes('pose_1')) await benchClip('pose_1', 577, 577, rows, profiles, layerProfiles);
  const result = {
    date: new Date().toISOString(), device: info.devices[0], driverVersion: info.driverVersion, node: process.version,
    warmup: WARM, timed: TIMED, batches: BATCHES, settings: SETTINGS, precisions: PRECISIONS, planeVariants: PLANE_VARIANTS,
    frames: FRAMES_FROM ? `257x257 packs of ${FRAMES_FROM} resized bilinearly` : 'the bundle\'s packs at full size',
    timing: 'ms per batch: model.execute + device synchronize (input uploaded before; outputs on the GPU); ' +
        'msWithDownload adds await data() of every output',
    plane: (tf.backend() as DeltaCudaBackend).plane.constructor.name,
    rows, profiles, layerProfiles, seconds: (Date.now() - t0) / 1000,
  };
  writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(`wrote ${out} (${result.seconds.toFixed(0)} s)`);
}

main().catch((e) => { console.error(e); process.exit(1); });
