/**
 * Long-run drift (issue 6): a model runs on a clip played in a loop for many consecutive frames on a
 * delta backend, without keyframes unless configured, and every frame is compared with the dense
 * output of the same clip frame (computed once on tfjs' 'cpu' backend). Because the clip loops, the
 * error of loop k at clip frame i compares directly with loop 0 at the same frame: growth with time
 * shows as a rising per-loop error. Used by benchmarks/drift/drift.cjs and the CI drift spec.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as delta from '../index';
import type {DeltaConfigUpdate} from '../core/config';
import type {ModelSpec} from './catalog';
import {frameToInput, loadModelFile} from './models';

export interface DriftOptions {
  spec: Pick<ModelSpec, 'name' | 'width' | 'height' | 'dtype' | 'range'>;
  /** model.json and the input size rewrite of a fully convolutional model (resolveModel()). */
  file: string;
  inputSizeRewrite?: [number, number];
  /** The clip's frames (RGB, model input size), played in a loop. */
  frames: Uint8Array[];
  /** Consecutive frames to run. */
  total: number;
  /** Delta configuration of the run (thresholds, keyframeInterval, keyframeErrorBound). */
  config: DeltaConfigUpdate;
  backend?: string;
  onFrame?: (row: DriftRow) => void;
}

export interface DriftRow {
  frame: number;
  clipFrame: number;
  /** Worst output of max |delta - dense| / max |dense|. */
  maxRel: number;
  /** Worst output of sum |delta - dense| / sum |dense|. */
  meanRel: number;
  /** stats().errorEstimate after the frame, and whether the frame ran as a keyframe. */
  errorEstimate: number;
  keyframe: boolean;
  denseMacs: number;
  performedMacs: number;
}

export interface DriftResult {
  rows: DriftRow[];
  /** Per pass over the clip: mean and max of maxRel, and dense / performed MACs (frame 0 excluded). */
  loops: Array<{loop: number; meanMaxRel: number; maxMaxRel: number; macRatio: number}>;
  worstMaxRel: number;
  keyframes: number;
  seconds: number;
}

async function read(y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): Promise<Float32Array[]> {
  const list = Array.isArray(y) ? y : y instanceof tf.Tensor ? [y] : Object.values(y);
  const out: Float32Array[] = [];
  for (const t of list) out.push(Float32Array.from(await t.data() as ArrayLike<number>));
  tf.dispose(list);
  return out;
}

function errors(a: Float32Array[], ref: Float32Array[]): {maxRel: number; meanRel: number} {
  let maxRel = 0, meanRel = 0;
  ref.forEach((r, i) => {
    const x = a[i];
    let maxAbs = 0, maxErr = 0, sumAbs = 0, sumErr = 0;
    for (let k = 0; k < r.length; k++) {
      const m = Math.abs(r[k]), e = Math.abs(x[k] - r[k]);
      if (m > maxAbs) maxAbs = m;
      if (!(e <= maxErr)) maxErr = e;   // NaN sticks
      sumAbs += m; sumErr += e;
    }
    maxRel = Math.max(maxRel, maxErr / Math.max(maxAbs, 1e-12));
    meanRel = Math.max(meanRel, sumErr / Math.max(sumAbs, 1e-12));
  });
  return {maxRel, meanRel};
}

/** Dense outputs of every clip frame on tfjs' cpu backend (switches the backend). */
export async function denseReference(o: Pick<DriftOptions, 'spec' | 'file' | 'inputSizeRewrite' | 'frames'>): Promise<Float32Array[][]> {
  await tf.setBackend('cpu');
  const model = await loadModelFile(o.file, o.inputSizeRewrite);
  const dense: Float32Array[][] = [];
  for (const fr of o.frames) {
    const x = frameToInput(o.spec, fr);
    dense.push(await read(model.execute(x) as tf.Tensor | tf.Tensor[]));
    x.dispose();
  }
  model.dispose();
  return dense;
}

/** Runs `total` consecutive frames of the looped clip on a delta backend against `dense`. */
export async function measureDrift(o: DriftOptions, dense: Float32Array[][]): Promise<DriftResult> {
  const t0 = Date.now();
  await tf.setBackend(o.backend ?? 'delta-cpu');
  const model = await loadModelFile(o.file, o.inputSizeRewrite);
  const before = delta.getConfig();
  delta.configure(o.config);
  delta.reset();
  const rows: DriftRow[] = [];
  let lastKeyframes = 0;
  try {
    for (let i = 0; i < o.total; i++) {
      const f = i % o.frames.length;
      const x = frameToInput(o.spec, o.frames[f]);
      const out = await read(delta.frame(() => model.execute(x) as tf.Tensor | tf.Tensor[]));
      x.dispose();
      await delta.settleStats();  // GPU planes count MACs on the device: read them before stats()
      const st = delta.stats();
      const e = errors(out, dense[f]);
      const row: DriftRow = {frame: i, clipFrame: f, ...e, errorEstimate: st.errorEstimate, keyframe: i > 0 && st.keyframes > lastKeyframes,
        denseMacs: st.totals.denseMacs, performedMacs: st.totals.performedMacs};
      lastKeyframes = st.keyframes;
      rows.push(row);
      o.onFrame?.(row);
    }
  } finally {
    model.dispose();
    delta.configure(before);
    delta.reset();
  }
  const loops: DriftResult['loops'] = [];
  for (let start = 0; start < rows.length; start += o.frames.length) {
    const part = rows.slice(start, start + o.frames.length).filter((r) => r.frame > 0);
    if (!part.length) continue;
    const d = part.reduce((s, r) => s + r.denseMacs, 0), p = part.reduce((s, r) => s + r.performedMacs, 0);
    loops.push({loop: loops.length, meanMaxRel: part.reduce((s, r) => s + r.maxRel, 0) / part.length,
      maxMaxRel: Math.max(...part.map((r) => r.maxRel)), macRatio: p > 0 ? d / p : 1});
  }
  return {rows, loops, worstMaxRel: Math.max(0, ...rows.map((r) => r.maxRel)), keyframes: lastKeyframes, seconds: (Date.now() - t0) / 1000};
}
