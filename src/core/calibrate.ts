/**
 * Automatic per-layer thresholds (issue 6): `calibrate()` searches the thresholds that skip the most
 * MACs while an output metric against the dense outputs stays within a target on every calibration
 * frame; `saveThresholds()` / `loadThresholds()` keep them in JSON keyed by stable layer keys.
 *
 * Backend-independent: it uses only the public API (configure, reset, frame, stats, debug) and the
 * active engine's stable keys.
 */
import * as tf from '@tensorflow/tfjs-core';
import {DeltaConfig, mergeConfig} from './config';
import type {DeltaEngine} from './engine';
import {globalState} from './global';
import {fnvHex, isSlotName} from './stable_keys';
import {VERSION} from './version';
import {CalibrationMetric, OutputArray, compileMetric} from './task_metrics';

export type {CalibrationMetric, TaskMetricSpec, KeypointMetric, BoxMetric, MaskMetric, MetricFunction} from './task_metrics';

export interface CalibrationProgress {
  /** dense: the reference pass; global: input + one activation threshold; joint: every layer at s x its
   *  output scale; layers: single layers raised from there (largest dense MACs first). */
  phase: 'dense' | 'global' | 'joint' | 'layers';
  evaluations: number;
  /** Best feasible setting so far. */
  macRatio: number;
  metric: number;
  /** What was tried last: 'input', 'threshold', 'scale' (joint phase) or a stable layer key. */
  coordinate: string;
  value: number;
  accepted: boolean;
  /** What the value tried gave. */
  tried: {macRatio: number; metric: number};
  seconds: number;
}

export interface CalibrationOptions {
  /**
   * maxRel / meanRel / a function (per-frame error; the worst frame must stay <= target), or a task
   * metric ({kind: 'keypoints' | 'boxes' | 'mask'}; agreement pooled over the frames, must stay >= target).
   */
  metric: CalibrationMetric;
  target: number;
  /** Range of the model's input values (sets the input threshold ladder); default: measured on frame 0. */
  inputRange?: [number, number];
  budget?: {evaluations?: number; seconds?: number};
  onProgress?: (p: CalibrationProgress) => void;
  /** Fractions of a layer's output scale (mean over pixels of max |output| over channels, frame 0) to try. */
  ladder?: number[];
  /** Fractions of the input range to try for the input threshold. */
  inputLadder?: number[];
}

export interface CalibrationResult {
  /** Per-layer output thresholds by stable layer key. */
  thresholds: Record<string, number>;
  inputThreshold: number;
  /** The global activation threshold (nonlinear outputs, re-sparsified mid-network tensors). */
  threshold: number;
  /** Dense MACs / performed MACs over the calibration frames 1..N-1 (frame 0 is the dense seed). */
  macRatio: number;
  /** The metric of the result on the calibration frames (worst frame, or pooled agreement). */
  metric: number;
  /** What `metric` measures, and whether higher is better (agreement) or lower (error). */
  metricName: string;
  higherIsBetter: boolean;
  evaluations: number;
  /** Every stable layer key of the calibrated model (its fingerprint in saveThresholds). */
  keys: string[];
  /** The best setting of the global (input, activation) phase alone, for comparison. */
  global: {inputThreshold: number; threshold: number; macRatio: number; metric: number};
  /** Output scale per stable key (what the ladders are fractions of). */
  scales: Record<string, number>;
}

export type RunFn = (frame: number) => tf.Tensor | tf.Tensor[] | Promise<tf.Tensor | tf.Tensor[]>;

const DEFAULT_LADDER = [0.005, 0.01, 0.02, 0.04, 0.08, 0.16];
const DEFAULT_INPUT_LADDER = [0.0025, 0.005, 0.01, 0.02, 0.04, 0.08];
/** Joint phase: every layer at s x its scale, s from this ladder (then one bisection step). */
const JOINT_LADDER = [0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64];

async function outputsOf(out: tf.Tensor | tf.Tensor[]): Promise<OutputArray[]> {
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => ({values: Float32Array.from(await t.data() as ArrayLike<number>), shape: [...t.shape]})));
  tf.dispose(list);
  return values;
}

/** Mean over pixels of max |value| over the channels (the last dimension). */
function pixelScale(values: Float32Array, channels: number): number {
  const pixels = Math.floor(values.length / Math.max(1, channels));
  if (!pixels) return 0;
  let sum = 0;
  for (let p = 0; p < pixels; p++) {
    let m = 0;
    for (let c = 0, o = p * channels; c < channels; c++) { const a = Math.abs(values[o + c]); if (a > m && Number.isFinite(a)) m = a; }
    sum += m;
  }
  return sum / pixels;
}

interface Setting { inputThreshold: number; threshold: number; thresholds: Record<string, number> }
interface Evaluation { macRatio: number; metric: number }

/**
 * Searches per-layer thresholds on `frames` frames of `run(frame)` (which runs the model on frame f
 * and returns its outputs; calibrate disposes them). See docs/calibration.md.
 */
export async function calibrate(engineOf: () => DeltaEngine, reset: () => void, run: RunFn, frames: number,
                                options: CalibrationOptions): Promise<CalibrationResult> {
  if (!Number.isInteger(frames) || frames < 2) throw new Error(`tfjs-backend-delta: calibrate(): frames must be an integer >= 2, got ${frames}`);
  if (!options || typeof options.target !== 'number' || !(options.target >= 0)) {
    throw new Error('tfjs-backend-delta: calibrate(): options.target must be a number >= 0');
  }
  const metric = compileMetric(options.metric);
  if (metric.higherIsBetter && options.target > 1) {
    throw new Error(`tfjs-backend-delta: calibrate(): ${metric.name} is an agreement in [0, 1]; target ${options.target} cannot be reached`);
  }
  const feasible = (v: number) => (metric.higherIsBetter ? v >= options.target : v <= options.target);
  const engine = engineOf();
  const st = globalState();
  const saved: DeltaConfig = {...st.config, thresholds: {...st.config.thresholds}};
  const t0 = Date.now();
  const maxEvals = options.budget?.evaluations ?? Infinity;
  const maxSeconds = options.budget?.seconds ?? Infinity;
  const ladder = options.ladder ?? DEFAULT_LADDER;
  const inputLadder = options.inputLadder ?? DEFAULT_INPUT_LADDER;
  let evaluations = 0;
  const outOfBudget = () => evaluations >= maxEvals || (Date.now() - t0) / 1000 >= maxSeconds;
  const apply = (s: Setting) => { st.config = mergeConfig(st.config, {...s, keyframeInterval: 0, keyframeErrorBound: 0}); };

  // One pass over the frames from a reset; per frame the outputs go to `onFrame`.
  const pass = async (onFrame: (f: number, values: OutputArray[]) => void, afterFirstFrame?: () => void) => {
    reset();
    let seedDense = 0, seedPerformed = 0;
    for (let f = 0; f < frames; f++) {
      const out = await engine.withFrame(() => run(f));
      onFrame(f, await outputsOf(out));
      if (f === 0) {
        afterFirstFrame?.();
        await engine.settleStats();
        const t = engine.stats(engine.currentStreamId(), true).totals;
        seedDense = t.totalDenseMacs; seedPerformed = t.totalPerformedMacs;
      }
    }
    await engine.settleStats();
    const t = engine.stats(engine.currentStreamId(), true).totals;
    const dense = t.totalDenseMacs - seedDense, performed = t.totalPerformedMacs - seedPerformed;
    return performed > 0 ? dense / performed : (dense > 0 ? Infinity : 1);
  };

  try {
    // 1. Dense outputs (all thresholds 0: exact mode) and each layer's output scale on frame 0.
    const denseOut: OutputArray[][] = [];
    const scales = new Map<string, number>();
    let inputRange = options.inputRange;
    apply({inputThreshold: 0, threshold: 0, thresholds: {}});
    st.config = mergeConfig(st.config, {debug: true});
    const baseRatio = await pass((f, v) => { denseOut[f] = v; }, () => {
      const recs = engine.debug();
      const keyOf = new Map(engine.stats(engine.currentStreamId()).layers.map((l) => [l.name, l.key]));
      let lo = Infinity, hi = -Infinity;
      // The first layer's first input is (or is computed from) the frame: its range sets the input ladder.
      const first = [...recs].sort((x, y) => parseInt(x.name, 10) - parseInt(y.name, 10))[0];
      const frameValues = first?.inputs[0]?.values;
      if (frameValues) for (let k = 0; k < frameValues.length; k++) { const v = frameValues[k]; if (v < lo) lo = v; if (v > hi) hi = v; }
      for (const r of recs) {
        const key = keyOf.get(r.name);
        if (key) scales.set(key, pixelScale(r.output, r.outputShape[r.outputShape.length - 1] ?? 1));
      }
      if (!inputRange) inputRange = hi > lo ? [lo, hi] : [0, 1];
      st.config = mergeConfig(st.config, {debug: false});
    });
    st.config = mergeConfig(st.config, {debug: false});
    const layers = engine.stats(engine.currentStreamId()).layers;
    const keys = layers.map((l) => l.key);
    const span = inputRange![1] - inputRange![0];

    const evaluate = async (s: Setting): Promise<Evaluation> => {
      apply(s);
      const acc = metric.start();
      const macRatio = await pass((f, v) => { if (f > 0) acc.add(denseOut[f], v); });
      evaluations++;
      return {macRatio, metric: acc.value()};
    };

    let best: Setting = {inputThreshold: 0, threshold: 0, thresholds: {}};
    let bestEval: Evaluation = {macRatio: baseRatio, metric: metric.higherIsBetter ? 1 : 0};
    const report = (phase: CalibrationProgress['phase'], coordinate: string, value: number, accepted: boolean, tried: Evaluation) =>
      options.onProgress?.({phase, evaluations, macRatio: bestEval.macRatio, metric: bestEval.metric, coordinate, value, accepted,
        tried: {...tried}, seconds: (Date.now() - t0) / 1000});

    // Tries one setting; keeps it when feasible and it skips strictly more MACs (a threshold that skips
    // nothing more would spend error budget for nothing). Returns whether it was feasible.
    const attempt = async (phase: CalibrationProgress['phase'], coordinate: string, v: number, s: Setting): Promise<boolean | null> => {
      if (outOfBudget()) return null;
      const e = await evaluate(s);
      const ok = feasible(e.metric) && e.macRatio > bestEval.macRatio * (1 + 1e-9);
      if (ok) { best = s; bestEval = e; }
      report(phase, coordinate, v, ok, e);
      return feasible(e.metric);
    };
    // Tries increasing values of one coordinate from the current best, until one is infeasible (larger
    // values only get worse). A ladder whose every rung was feasible goes on doubling (up to `extend`
    // more rungs, while each still skips more): easy clips tolerate far larger thresholds than the
    // ladder's top. Returns the first infeasible value, if any.
    const climb = async (phase: CalibrationProgress['phase'], coordinate: string, values: number[], make: (v: number) => Setting,
                         extend = 4) => {
      for (const v of values) {
        const r = await attempt(phase, coordinate, v, make(v));
        if (r === null) return undefined;
        if (!r) return v;
      }
      let v = values[values.length - 1];
      for (let k = 0; k < extend && v !== undefined; k++) {
        const before = bestEval.macRatio;
        v *= 2;
        const r = await attempt(phase, coordinate, v, make(v));
        if (r === null) return undefined;
        if (!r) return v;
        if (!(bestEval.macRatio > before)) break;   // feasible but skips nothing more: stop here
      }
      return undefined;
    };

    // 2. Global phase: the input threshold, then the global activation threshold.
    const medianScale = (() => {
      const v = [...scales.values()].filter((x) => x > 0).sort((a, b) => a - b);
      return v.length ? v[Math.floor(v.length / 2)] : 1;
    })();
    await climb('global', 'input', inputLadder.map((q) => q * span), (v) => ({...best, inputThreshold: v}));
    await climb('global', 'threshold', ladder.map((q) => q * medianScale), (v) => ({...best, threshold: v}));
    const global = {inputThreshold: best.inputThreshold, threshold: best.threshold, ...bestEval};

    // 3. Joint phase: every layer with a delta kernel at s x its own output scale, s climbed along a
    //    ladder and refined by one geometric bisection step; then the input threshold again.
    const deltaLayers = layers.filter((l) => l.mode !== 'fallback' && (scales.get(l.key) ?? 0) > 0);
    const jointSetting = (s: number): Setting => {
      const thresholds: Record<string, number> = {};
      for (const l of deltaLayers) thresholds[l.key] = Math.max(s * scales.get(l.key)!, best.thresholds[l.key] ?? 0);
      return {...best, thresholds};
    };
    if (deltaLayers.length) {
      const bad = await climb('joint', 'scale', JOINT_LADDER, jointSetting);
      if (bad !== undefined) {
        const below = JOINT_LADDER[JOINT_LADDER.indexOf(bad) - 1] ?? bad / 2;
        const mid = Math.sqrt(below * bad);
        await attempt('joint', 'scale', mid, jointSetting(mid));
      }
      await climb('joint', 'input', inputLadder.map((q) => q * span).filter((v) => v > best.inputThreshold),
          (v) => ({...best, inputThreshold: v}));
    }

    // 4. Per-layer phase: layers by dense MACs (then execution order), each doubled while that stays
    //    feasible and skips more (at most 3 times): spends what error budget is left where it pays most.
    const order = deltaLayers.map((l, i) => ({l, i})).sort((a, b) => b.l.denseMacs - a.l.denseMacs || a.i - b.i).map((x) => x.l);
    for (const l of order) {
      if (outOfBudget()) break;
      const base = best.thresholds[l.key] ?? (ladder[0] * scales.get(l.key)!);
      await climb('layers', l.key, [2, 4, 8].map((m) => base * m), (v) => ({...best, thresholds: {...best.thresholds, [l.key]: v}}), 1);
    }
    // Leftover budget: one more rung for the input threshold.
    if (!outOfBudget()) {
      await climb('layers', 'input', inputLadder.map((q) => q * span).filter((v) => v > best.inputThreshold),
          (v) => ({...best, inputThreshold: v}));
    }
    return {thresholds: best.thresholds, inputThreshold: best.inputThreshold, threshold: best.threshold,
      macRatio: bestEval.macRatio, metric: bestEval.metric, metricName: metric.name, higherIsBetter: metric.higherIsBetter,
      evaluations, keys, global, scales: Object.fromEntries(scales)};
  } finally {
    st.config = saved;
    reset();
  }
}

// ---- save / load --------------------------------------------------------------------------------

export const THRESHOLDS_FORMAT = 'tfjs-backend-delta/thresholds@1';

export interface ThresholdsFile {
  format: string;
  version: string;
  /** FNV-1a 64 of the model's sorted stable keys, and the keys themselves. */
  model: {fingerprint: string; keys: string[]};
  inputThreshold: number;
  threshold: number;
  thresholds: Record<string, number>;
  macRatio?: number;
  metric?: number;
  /** What `metric` measures (e.g. 'maxRel', 'keypoints(posenet, within 16 px)'). */
  metricName?: string;
}

export function fingerprintOf(keys: readonly string[]): string {
  return fnvHex([...new Set(keys)].sort().join('\n'));
}

export function saveThresholds(result: Pick<CalibrationResult, 'thresholds' | 'inputThreshold' | 'keys'> &
    Partial<Pick<CalibrationResult, 'threshold' | 'macRatio' | 'metric' | 'metricName'>>): string {
  if (!result || typeof result.thresholds !== 'object' || !Array.isArray(result.keys)) {
    throw new Error('tfjs-backend-delta: saveThresholds(): expects the result of calibrate() ({thresholds, inputThreshold, keys, ...})');
  }
  for (const k of Object.keys(result.thresholds)) {
    if (isSlotName(k)) throw new Error(`tfjs-backend-delta: saveThresholds(): '${k}' is a slot name, not a stable layer key (stats().layers[i].key)`);
  }
  const file: ThresholdsFile = {
    format: THRESHOLDS_FORMAT, version: VERSION,
    model: {fingerprint: fingerprintOf(result.keys), keys: [...result.keys]},
    inputThreshold: result.inputThreshold, threshold: result.threshold ?? 0, thresholds: {...result.thresholds},
    ...(result.macRatio !== undefined ? {macRatio: Number.isFinite(result.macRatio) ? result.macRatio : undefined} : {}),
    ...(result.metric !== undefined ? {metric: result.metric} : {}),
    ...(result.metricName !== undefined ? {metricName: result.metricName} : {}),
  };
  return JSON.stringify(file, null, 1) + '\n';
}

/** Parses and checks a thresholds file (throws a one-line error naming what is wrong). */
export function parseThresholds(json: string): ThresholdsFile {
  let v: ThresholdsFile;
  try {
    v = JSON.parse(json) as ThresholdsFile;
  } catch (e) {
    throw new Error(`tfjs-backend-delta: loadThresholds(): not JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || v.format !== THRESHOLDS_FORMAT) {
    throw new Error(`tfjs-backend-delta: loadThresholds(): not a thresholds file (format must be '${THRESHOLDS_FORMAT}')`);
  }
  if (!v.model || !Array.isArray(v.model.keys) || typeof v.model.fingerprint !== 'string' || !v.thresholds || typeof v.thresholds !== 'object') {
    throw new Error('tfjs-backend-delta: loadThresholds(): thresholds file lacks model.keys, model.fingerprint or thresholds');
  }
  if (fingerprintOf(v.model.keys) !== v.model.fingerprint) {
    throw new Error('tfjs-backend-delta: loadThresholds(): model.fingerprint does not match model.keys (edited or corrupt file)');
  }
  const keys = new Set(v.model.keys);
  const stray = Object.keys(v.thresholds).filter((k) => !keys.has(k));
  if (stray.length) throw new Error(`tfjs-backend-delta: loadThresholds(): threshold keys not in the file's model keys: ${stray.slice(0, 3).join(', ')}`);
  // Validates the numbers (configure's own errors).
  mergeConfig(globalState().config, {inputThreshold: v.inputThreshold, threshold: v.threshold ?? 0, thresholds: v.thresholds});
  return v;
}

/**
 * Which of a thresholds file's layers the current model lacks, and whether its fingerprint matches.
 * `keys`: the stable keys of the currently loaded model (engine.stableKeys() after one frame).
 */
export function compareKeys(file: Pick<ThresholdsFile, 'model'>, keys: readonly string[]): {match: boolean; missing: string[]; extra: string[]} {
  const have = new Set(keys), want = new Set(file.model.keys);
  const missing = [...want].filter((k) => !have.has(k));
  const extra = [...have].filter((k) => !want.has(k));
  return {match: missing.length === 0 && extra.length === 0, missing, extra};
}
