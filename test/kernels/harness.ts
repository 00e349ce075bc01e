// Harness of the delta-kernel specs (test/kernels/*.spec.ts): every delta kernel of delta-cpu is
// driven through its public tfjs op on a sequence of frames and checked against the dense kernel.
//
// A Case is one op (or a small chain of ops) with constant weights and one or more varying inputs.
// runCase() runs it twice:
//  - exact mode (all thresholds 0): every frame's output must equal the dense result of tfjs'
//    own 'cpu' backend on the same arrays, within EXACT_TOL relative, where
//        rel = max_i |delta_i - ref_i| / max(max_i |ref_i|, 1e-6)      (per output tensor, per frame);
//  - threshold mode (inputThreshold 0.05, threshold 0.03, debug on): after every frame each slot's
//    debug record must satisfy DESIGN §3's invariant:
//        (a) |output - denseKernel(inputs as the slot saw them)| <= outputThreshold + tol   elementwise
//            (denseKernel = tf.engine().runKernel(kernel, inputs, attrs) on 'cpu'), tol = harness.invTol * scale,
//            scale = max(max|denseKernel|, 1);
//        (b) for diffed inputs: |rawInput - seen input| <= inputThreshold + 1e-6          elementwise.
// In both modes: the slots of the kernels under test took the delta path on every frame after the
// first (stats: mode 'delta', counts.delta >= frames - 1), performed fewer MACs than a dense run on
// sparse frames (<= SPARSE_FRACTION of the pixels changed) and (almost) none on a frame without change,
// an output tensor of an earlier frame that is still alive keeps its values (slots update buffers in
// place: copy-on-write; every third frame the output is disposed before the next one, the in-place case),
// and no tensor leaks.
//
// Frames: a random base frame, then frames where random blobs (rectangles and ellipses of random size,
// not only single pixels) change 0..30% of the pixels: SCHEDULE below (a frame with no change as a new
// tensor, one as the same tensor object, one with ~30%). In threshold mode some frames also carry
// sub-threshold noise on 30% of the pixels (residuals must be kept, not lost).
// Everything is drawn from a seeded PRNG (mulberry32): a failure prints its seed and attributes.
// The MAC rules for chains and pools are in checkStats(). Failures of a spec are listed in its message
// (kernel, attributes, seed, frame, what); a summary and every row go to build/results/kernels.json.
//
// Backend: delta-cpu by default; another delta backend (delta-webgpu: test/webgpu/) calls
// configureHarness({backend, exactTol, frameCheck}) first (or DELTA_KERNEL_BACKEND=name). Outputs are read
// with data() (async: dataSync of a GPU tensor fails in Node) and stats after delta.settleStats().
//
// Run: npm run build && node scripts/build-tests.mjs && node test/run-jasmine.cjs test/jasmine.json
//   one spec:   npx jasmine --config=test/jasmine.json --filter="MaxPool"
//   env:        DELTA_KERNEL_SCALE=n  (n times the random cases per spec; 25 = a ~45 s soak on 2 cores)
//               DELTA_KERNEL_TABLE=1  (print every spec's row, not only the failing ones)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import * as delta from 'tfjs-backend-delta';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {prng, relErr} from '../util/prng';

const inJasmine = typeof jasmine !== 'undefined';
if (inJasmine) jasmine.DEFAULT_TIMEOUT_INTERVAL = 10 * 60 * 1000;

/** Multiplies the number of random cases per spec (DELTA_KERNEL_SCALE=0.5 for a quick run, 4 for a soak). */
export const SCALE = Number(process.env.DELTA_KERNEL_SCALE || 1);
export function nCases(n: number): number { return Math.max(1, Math.round(n * SCALE)); }

export let EXACT_TOL = 1e-5;

/** Which delta backend the harness drives, and how it checks each frame. */
export interface HarnessConfig {
  /** Registered delta backend under test (default delta-cpu). */
  backend: string;
  /** Exact-mode tolerance (relative, see the header). */
  exactTol: number;
  /** Called before each frame; the returned function after it (after the frame's outputs were read):
   *  resolves to a problem description or null (delta-webgpu: device error scopes). */
  frameCheck: (() => () => Promise<string | null>) | null;
  /**
   * A data plane that does not implement every delta kernel yet (delta-cuda): true when a slot that ran
   * 'fallback' for this reason is acceptable. Its values are still checked against the oracle on every
   * frame (exact and threshold mode); only the delta-path and MAC checks are waived. null: never.
   */
  allowFallback: ((kernel: string, reason: string | null) => boolean) | null;
  /** Threshold-mode invariant tolerance (relative, see INV_TOL): INV_TOL unless the backend computes with
   *  fewer mantissa bits than float32 (delta-cuda's tf32 conv precision). */
  invTol: number;
}
/** Float tolerance of the invariant check, relative to max(max|denseKernel(seen)|, 1). */
export const INV_TOL = 1e-5;
export const harness: HarnessConfig = {backend: process.env.DELTA_KERNEL_BACKEND || 'delta-cpu', exactTol: EXACT_TOL, frameCheck: null,
  allowFallback: null, invTol: INV_TOL};

export function configureHarness(update: Partial<HarnessConfig>): void {
  Object.assign(harness, update);
  EXACT_TOL = harness.exactTol;
}
export const INPUT_THRESHOLD = 0.05;
export const THRESHOLD = 0.03;
/** Frames where at most this share of pixels changed must cost fewer MACs than a dense run. */
export const SPARSE_FRACTION = 0.1;
/** A frame with no change may cost at most this share of a dense run's MACs. */
export const NO_CHANGE_MACS = 0.01;

/** Changed-pixel fraction per frame (frame 0 is the base frame). 'same' reuses the tensor object. */
export const SCHEDULE: Array<number | 'same'> = [1, 0.05, 0, 0.3, 0.002, 0.12, 'same', 0.02, 0.2, 0.08];
/** Frames that carry sub-threshold noise in threshold mode. */
const NOISE_FRAMES = new Set([3, 4, 7, 9]);

// ---- PRNG -----------------------------------------------------------------------------------------

export class Rng {
  readonly next: () => number;
  constructor(readonly seed: number) { this.next = prng(seed); }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  bool(p = 0.5): boolean { return this.next() < p; }
  sign(): number { return this.next() < 0.5 ? -1 : 1; }
  array(n: number, lo = -1, hi = 1): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(lo, hi);
    return a;
  }
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---- frame sequences ------------------------------------------------------------------------------

export interface Sequence {
  readonly shape: number[];
  readonly frames: Float32Array[];
  /** Share of pixels (all dims but the last) changed by blobs relative to the previous frame. */
  readonly changed: number[];
  /** Frame f passes the same tensor object as frame f-1. */
  readonly same: boolean[];
}

/**
 * Adds blobs to `v` (shape [..., H, W, C]; leading dims are batch) until about `target` of the
 * pixels changed. Each blob is a rectangle or an ellipse of random size with one random per-channel
 * change (|change| in [0.1, 0.8], plus some per-pixel variation). Returns the changed fraction.
 */
export function addBlobs(rng: Rng, v: Float32Array, shape: readonly number[], target: number): number {
  const C = shape[shape.length - 1];
  const W = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const H = shape.length >= 3 ? shape[shape.length - 3] : 1;
  const B = sizeOf(shape) / (H * W * C);
  const total = B * H * W;
  if (target <= 0) return 0;
  const goal = Math.max(1, Math.min(total, Math.round(target * total)));
  const changed = new Uint8Array(total);
  let count = 0;
  for (let guard = 0; count < goal && guard < 10000; guard++) {
    const remaining = goal - count;
    const maxR = Math.max(0, Math.min(Math.floor(Math.sqrt(remaining) / 2), Math.floor(Math.max(H, W) / 3)));
    const ry = rng.int(0, maxR), rx = rng.int(0, maxR);
    const b = rng.int(0, B - 1), cy = rng.int(0, H - 1), cx = rng.int(0, W - 1);
    const ellipse = rng.bool();
    const d = Array.from({length: C}, () => rng.sign() * rng.uniform(0.1, 0.8));
    for (let y = cy - ry; y <= cy + ry && count < goal; y++) {
      if (y < 0 || y >= H) continue;
      for (let x = cx - rx; x <= cx + rx && count < goal; x++) {
        if (x < 0 || x >= W) continue;
        if (ellipse && ry > 0 && rx > 0 && ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 > 1) continue;
        const p = (b * H + y) * W + x;
        for (let c = 0; c < C; c++) v[p * C + c] += d[c] * (0.8 + 0.4 * rng.next());
        if (!changed[p]) { changed[p] = 1; count++; }
      }
    }
  }
  return count / total;
}

/** Small changes (|change| <= amp) on ~`share` of the pixels: below the input threshold. */
function addNoise(rng: Rng, v: Float32Array, channels: number, share: number, amp: number) {
  for (let p = 0; p < v.length / channels; p++) {
    if (!rng.bool(share)) continue;
    for (let c = 0; c < channels; c++) v[p * channels + c] += rng.uniform(-amp, amp);
  }
}

export function makeSequence(rng: Rng, shape: number[],
                             opts: {noise?: number; schedule?: Array<number | 'same'>; lo?: number; hi?: number} = {}): Sequence {
  const schedule = opts.schedule ?? SCHEDULE;
  const C = shape[shape.length - 1];
  const frames: Float32Array[] = [];
  const changed: number[] = [];
  const same: boolean[] = [];
  for (let f = 0; f < schedule.length; f++) {
    const s = schedule[f];
    if (f === 0) {
      frames.push(rng.array(sizeOf(shape), opts.lo ?? -1, opts.hi ?? 1));
      changed.push(1); same.push(false);
      continue;
    }
    const v = frames[f - 1].slice();
    if (s === 'same') {
      frames.push(v); changed.push(0); same.push(true);
      continue;
    }
    changed.push(addBlobs(rng, v, shape, s));
    if (opts.noise && NOISE_FRAMES.has(f)) addNoise(rng, v, C, 0.3, opts.noise);
    frames.push(v);
    same.push(false);
  }
  return {shape, frames, changed, same};
}

// ---- cases ----------------------------------------------------------------------------------------

export interface ConstSpec { shape: number[]; values: Float32Array | Int32Array; dtype?: 'float32' | 'int32' }

export interface Case {
  /** Kernel (+ variant) and attributes; printed with every failure. */
  label: string;
  seed: number;
  /** Kernels whose slots must take the delta path on every frame after the first. */
  kernels: string[];
  /** Shapes of the varying inputs (frame sequences are generated from the seed). */
  inputShapes: number[][];
  /** Value range of the varying inputs' base frame (default [-1, 1]). */
  range?: [number, number];
  consts: Record<string, ConstSpec>;
  op(c: Record<string, tf.Tensor>, x: tf.Tensor[]): tf.Tensor;
  /** Mark frames with delta.frame() (default) or rely on automatic frame detection. */
  autoFrames?: boolean;
  /** Skip the "fewer MACs on sparse frames" check for these kernels (documented limitation). */
  macsExempt?: string[];
  /** Output pixels one changed input pixel can reach (pools and convs recompute whole windows): see checkStats. */
  footprint?: number;
  /** A chain: slots after the first get inputs from other slots (derived: truncated at `threshold`). */
  chain?: boolean;
  /** Kernels whose slots must truncate at `threshold` beyond the default nonlinear ones (Multiply of
   *  two delta-graph tensors). */
  nonlinear?: string[];
  /** Thresholds of the threshold-mode run (default INPUT_THRESHOLD and THRESHOLD). */
  thresholds?: Thresholds;
  /** MAC checks of checkStats: 'all' (default) or only 'no-change' (a frame without change costs ~0;
   *  for random geometries where a sparse change may legitimately reach the whole output). */
  macs?: 'all' | 'no-change';
  /** keyframeInterval of the runs (default 300: none in a short sequence); checkStats expects a dense
   *  run on every keyframe (frame f > 0 with f % keyframeInterval === 0) and the delta path elsewhere. */
  keyframeInterval?: number;
}

/** The two thresholds of a threshold-mode run: `input` (inputThreshold) and `inner` (threshold). */
export interface Thresholds { input: number; inner: number }

export function thresholdsOf(c: Case): Thresholds {
  return c.thresholds ?? {input: INPUT_THRESHOLD, inner: THRESHOLD};
}

/** DESIGN §3: kernels whose output is truncated at `threshold` (all others: threshold 0). */
const NONLINEAR_KERNELS = new Set(['Relu', 'Relu6', 'LeakyRelu', 'Prelu', 'Elu', 'Sigmoid', 'Tanh', 'MaxPool']);

/**
 * The output thresholds a slot may use in threshold mode, derived from the kernel, not from the
 * engine. Multiply of two frame inputs may be either (the op table calls it linear: both inputs are
 * diffed and the product is recomputed exactly at changed pixels).
 */
export function expectedOutputThresholds(c: Case, rec: {kernel: string; attrs: Record<string, unknown>}): number[] {
  const inner = thresholdsOf(c).inner;
  if (NONLINEAR_KERNELS.has(rec.kernel) || c.nonlinear?.includes(rec.kernel)) return [inner];
  if ((rec.kernel === 'FusedConv2D' || rec.kernel === 'FusedDepthwiseConv2D') && (rec.attrs.activation ?? 'linear') !== 'linear') return [inner];
  if (rec.kernel === 'Multiply') return [0, inner];
  return [0];
}

export type Mode = 'exact' | 'threshold';

export interface Failure { kernel: string; mode: Mode; label: string; seed: number; frame: number; what: string }

export interface Row { spec: string; mode: Mode; cases: number; frames: number; failures: number; worstRel: number; worstInv: number; ms: number }
const rows: Row[] = [];
const allFailures: Failure[] = [];

// ---- running --------------------------------------------------------------------------------------

function makeConsts(c: Case): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, s] of Object.entries(c.consts)) out[k] = tf.tensor(s.values, s.shape, s.dtype ?? 'float32');
  return out;
}

export {relErr};

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

/** Dense reference: the same op on tfjs' own 'cpu' backend, one frame at a time. */
export async function denseOutputs(c: Case, seqs: Sequence[]): Promise<{values: Float32Array[]; shape: number[]}> {
  await tf.setBackend('cpu');
  const consts = makeConsts(c);
  const values: Float32Array[] = [];
  let shape: number[] = [];
  for (let f = 0; f < seqs[0].frames.length; f++) {
    const out = tf.tidy(() => c.op(consts, seqs.map((s) => tf.tensor(s.frames[f], s.shape))));
    values.push(Float32Array.from(out.dataSync() as Float32Array));
    shape = out.shape;
    out.dispose();
  }
  tf.dispose(Object.values(consts));
  return {values, shape};
}

export interface DebugRec {
  name: string; mode: string; kernel: string; attrs: Record<string, unknown>;
  inputs: Array<{name: string; shape: number[]; dtype: string; values: Float32Array | Int32Array}>;
  output: Float32Array; outputShape: number[]; outputThreshold: number; inputThresholds: readonly number[];
  rawInputs: ReadonlyArray<Float32Array | null>;
}

export interface DeltaRun {
  values: Float32Array[];
  shape: number[];
  stats: delta.DeltaStats[];
  debug: DebugRec[][];
  /** Problems seen while running (immutability, leaks). */
  problems: Array<{frame: number; what: string}>;
}

export interface DeltaOptions {
  inputThreshold: number; threshold: number; debug: boolean; keyframeInterval?: number;
  /** The delta backend under test (default 'delta-cpu'; it must be registered). */
  backend?: string;
}

/** Runs the case on a delta backend (delta-cpu by default): reset, configure, one frame per input frame. */
export async function deltaOutputs(c: Case, seqs: Sequence[], o: DeltaOptions): Promise<DeltaRun> {
  await tf.setBackend(o.backend ?? harness.backend);
  delta.reset();
  const savedConfig = delta.getConfig();
  delta.configure({inputThreshold: o.inputThreshold, threshold: o.threshold, thresholds: {}, debug: o.debug,
    keyframeInterval: o.keyframeInterval ?? 300});
  const before = tf.memory().numTensors;
  try {
    const consts = makeConsts(c);
    const run: DeltaRun = {values: [], shape: [], stats: [], debug: [], problems: []};
    let prevInputs: tf.Tensor[] = [];
    let prevOut: {t: tf.Tensor; v: Float32Array} | null = null;
    for (let f = 0; f < seqs[0].frames.length; f++) {
      const inputs = seqs.map((s, i) => (s.same[f] && prevInputs[i] ? prevInputs[i] : tf.tensor(s.frames[f], s.shape)));
      const body = () => tf.tidy(() => c.op(consts, inputs));
      const after = harness.frameCheck?.();
      const out = c.autoFrames ? body() : delta.frame(body);
      const v = Float32Array.from(await out.data() as Float32Array);
      const problem = after ? await after() : null;
      if (problem) run.problems.push({frame: f, what: problem});
      run.values.push(v);
      run.shape = out.shape;
      await delta.settleStats();
      run.stats.push(delta.stats());
      run.debug.push(o.debug ? (delta.debug() as unknown as DebugRec[]) : []);
      if (prevOut) {
        // The previous frame's output tensor must still hold its values (copy-on-write).
        const again = await prevOut.t.data() as Float32Array;
        let bad = again.length !== prevOut.v.length;
        for (let i = 0; !bad && i < again.length; i++) if (!Object.is(again[i], prevOut.v[i])) bad = true;
        if (bad) run.problems.push({frame: f, what: `the output tensor of frame ${f - 1} changed its values after frame ${f} ran`});
        prevOut.t.dispose();
      }
      prevOut = {t: out, v};
      // Every third frame the app lets go of the output before the next frame: the slot may then
      // update its buffer in place (otherwise it must copy it first).
      if (f % 3 === 1) { out.dispose(); prevOut = null; }
      prevInputs.forEach((t, i) => { if (t !== inputs[i]) t.dispose(); });
      prevInputs = inputs;
    }
    prevOut?.t.dispose();
    tf.dispose(prevInputs);
    tf.dispose(Object.values(consts));
    const after = tf.memory().numTensors;
    if (after !== before) run.problems.push({frame: seqs[0].frames.length - 1, what: `tensor leak: numTensors ${before} -> ${after}`});
    return run;
  } finally {
    // Leave no state behind for other specs: drop the slots, restore the configuration.
    delta.reset();
    delta.configure(savedConfig);
  }
}

/** The dense kernel on 'cpu' applied to what a slot saw (its debug record). */
export function denseKernelOf(rec: DebugRec): {values: Float32Array; shape: number[]} {
  const tensors = rec.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype as tf.DataType));
  const numeric = rec.inputs.length > 0 && rec.inputs.every((i) => /^\d+$/.test(i.name));
  let inputs: tf.NamedTensorMap | tf.Tensor[];
  if (numeric) {
    inputs = [];
    rec.inputs.forEach((i, k) => { (inputs as tf.Tensor[])[Number(i.name)] = tensors[k]; });
  } else {
    inputs = {};
    rec.inputs.forEach((i, k) => { (inputs as tf.NamedTensorMap)[i.name] = tensors[k]; });
  }
  const out = tf.engine().runKernel(rec.kernel, inputs as unknown as tf.NamedTensorMap, rec.attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = Float32Array.from(out.dataSync() as Float32Array);
  const shape = out.shape;
  out.dispose();
  tf.dispose(tensors);
  return {values, shape};
}

export interface InvariantResult { worst: number; failures: Array<{frame: number; what: string}> }

/** DESIGN §3's invariant on every slot's debug record of every frame (see the header). */
export async function checkInvariant(c: Case, run: DeltaRun): Promise<InvariantResult> {
  await tf.setBackend('cpu');
  const res: InvariantResult = {worst: 0, failures: []};
  const {input: inThr, inner: innerThr} = thresholdsOf(c);
  for (let f = 0; f < run.debug.length; f++) {
    for (const rec of run.debug[f]) {
      // The thresholds the slot used must be the configured ones (else (a) and (b) prove nothing).
      const want = expectedOutputThresholds(c, rec);
      if (!want.includes(rec.outputThreshold)) {
        res.failures.push({frame: f, what: `slot ${rec.name}: outputThreshold ${rec.outputThreshold}, expected ${want.join(' or ')} for ${rec.kernel}`});
      }
      rec.rawInputs.forEach((raw, k) => {
        const t = rec.inputThresholds[k];
        const ok = raw == null || (c.chain ? (t === inThr || t === innerThr) : t === inThr);
        if (!ok) res.failures.push({frame: f, what: `slot ${rec.name}: diffed input '${rec.inputs[k].name}' used inputThreshold ${t}, expected ${c.chain ? `${inThr} or ${innerThr}` : inThr}`});
      });
      const ref = denseKernelOf(rec);
      if (ref.shape.join(',') !== rec.outputShape.join(',') || ref.values.length !== rec.output.length) {
        res.failures.push({frame: f, what: `slot ${rec.name}: output shape [${rec.outputShape}] vs dense kernel [${ref.shape}]`});
        continue;
      }
      const scale = Math.max(maxAbs(ref.values), 1);
      const allowed = rec.outputThreshold + harness.invTol * scale;
      let worst = 0, at = -1;
      for (let i = 0; i < ref.values.length; i++) {
        const d = Math.abs(rec.output[i] - ref.values[i]);
        if (!(d <= worst)) { worst = d; at = i; }
      }
      // Excess over the slot's threshold, in units of the float tolerance (<= 1 passes).
      const excess = (worst - rec.outputThreshold) / (harness.invTol * scale);
      if (excess > res.worst || Number.isNaN(excess)) res.worst = Number.isNaN(excess) ? Infinity : excess;
      if (!(worst <= allowed)) {
        res.failures.push({frame: f, what: `slot ${rec.name} (${rec.mode}): |output - ${rec.kernel}(seen inputs)| = ${worst.toExponential(3)} ` +
          `> outputThreshold ${rec.outputThreshold} + tol ${(harness.invTol * scale).toExponential(2)} at flat index ${at} ` +
          `(output ${rec.output[at]}, dense ${ref.values[at]})`});
      }
      rec.rawInputs.forEach((raw, k) => {
        if (!raw) return;
        const seen = rec.inputs[k].values;
        const thr = rec.inputThresholds[k];
        let m = 0, mi = -1;
        for (let i = 0; i < raw.length; i++) { const d = Math.abs(raw[i] - seen[i]); if (!(d <= m)) { m = d; mi = i; } }
        if (!(m <= thr + 1e-6)) {
          res.failures.push({frame: f, what: `slot ${rec.name}: input '${rec.inputs[k].name}' |raw - seen| = ${m} > inputThreshold ${thr} at ${mi}`});
        }
      });
    }
  }
  return res;
}

/**
 * Delta-path and MAC checks on the stats of every frame.
 * - every frame after the first: each slot of c.kernels ran 'delta'; at the end counts.delta >= frames-1;
 * - a frame without change: each slot performed <= NO_CHANGE_MACS of a dense run;
 * - a sparse frame (<= SPARSE_FRACTION of the input pixels changed): each slot performed fewer MACs
 *   than a dense run; for a chain, the slots together (a downstream slot may legitimately see its
 *   whole, small input change); for a case with a `footprint` (output pixels one input pixel can
 *   reach: pools and convs recompute whole windows), only when the changed pixels can reach at most half of
 *   the output.
 */
export function checkStats(c: Case, seqs: Sequence[], run: DeltaRun): Array<{frame: number; what: string}> {
  const out: Array<{frame: number; what: string}> = [];
  const frames = run.stats.length;
  const inPixels = sizeOf(seqs[0].shape.slice(0, -1));
  const kf = c.keyframeInterval ?? 0;
  const isKeyframe = (f: number) => kf > 0 && f > 0 && f % kf === 0;
  let keyframes = 0;
  for (let f = 1; f < frames; f++) if (isKeyframe(f)) keyframes++;
  for (let f = 0; f < frames; f++) {
    const layers = run.stats[f].layers;
    // Share of input pixels changed on this frame (the largest over inputs).
    const changed = Math.max(...seqs.map((s) => s.changed[f]));
    let sumPerformed = 0, sumDense = 0;
    for (const k of c.kernels) {
      const ls = layers.filter((l) => l.kernel === k);
      if (ls.length === 0) {
        out.push({frame: f, what: `no slot of kernel ${k} ran (layers: ${layers.map((l) => l.name).join(', ')})`});
        continue;
      }
      if (f === 0) continue;
      if (isKeyframe(f)) {
        for (const l of ls) if (l.mode !== 'dense') out.push({frame: f, what: `slot ${l.name} ran '${l.mode}' on a keyframe, not 'dense'`});
        continue;
      }
      for (const l of ls) {
        if (l.mode === 'fallback' && harness.allowFallback?.(k, l.fallbackReason)) continue;
        if (l.mode !== 'delta') {
          out.push({frame: f, what: `slot ${l.name} ran '${l.mode}', not 'delta'${l.fallbackReason ? ` (${l.fallbackReason})` : ''}`});
          continue;
        }
        if (f === frames - 1 && l.counts.delta < frames - 1 - keyframes) {
          out.push({frame: f, what: `slot ${l.name}: counts.delta ${l.counts.delta} < ${frames - 1 - keyframes} (counts ${JSON.stringify(l.counts)})`});
        }
        if (c.macsExempt?.includes(k)) continue;
        sumPerformed += l.performedMacs;
        sumDense += l.denseMacs;
        if (changed === 0 && !(l.performedMacs <= NO_CHANGE_MACS * l.denseMacs)) {
          out.push({frame: f, what: `slot ${l.name}: frame without change performed ${l.performedMacs} MACs (dense ${l.denseMacs})`});
        }
        const outPixels = sizeOf(l.outputShape.slice(0, -1));
        const reachable = c.footprint === undefined || changed * inPixels * c.footprint <= 0.5 * outPixels;
        if (c.macs !== 'no-change' && !c.chain && changed > 0 && changed <= SPARSE_FRACTION && reachable && !(l.performedMacs < l.denseMacs)) {
          out.push({frame: f, what: `slot ${l.name}: ${(changed * 100).toFixed(1)}% of pixels changed but performed ${l.performedMacs} MACs >= dense ${l.denseMacs}`});
        }
      }
    }
    if (c.macs !== 'no-change' && c.chain && f > 0 && !isKeyframe(f) && changed > 0 && changed <= SPARSE_FRACTION && sumDense > 0 && !(sumPerformed < sumDense)) {
      out.push({frame: f, what: `${(changed * 100).toFixed(1)}% of pixels changed but the chain's slots performed ${sumPerformed} MACs >= dense ${sumDense}`});
    }
  }
  return out;
}

export function sequencesFor(c: Case, mode: Mode, schedule?: Array<number | 'same'>): Sequence[] {
  // Same seed -> the same base frames and blobs in both modes; threshold mode adds noise.
  const rng = new Rng(c.seed * 7919 + 17);
  return c.inputShapes.map((shape) => makeSequence(rng, shape, {
    noise: mode === 'threshold' ? 0.6 * INPUT_THRESHOLD : 0, schedule, lo: c.range?.[0], hi: c.range?.[1],
  }));
}

export interface CaseResult { failures: Failure[]; worstRel: number; worstInv: number; frames: number }

/** Runs one case in one mode and returns its failures (at most a few per kind, with frames). */
export async function runCase(c: Case, mode: Mode, group: string): Promise<CaseResult> {
  const seqs = sequencesFor(c, mode);
  const failures: Failure[] = [];
  const fail = (frame: number, what: string) => failures.push({kernel: group, mode, label: c.label, seed: c.seed, frame, what});
  let worstRel = 0, worstInv = 0;
  try {
    if (mode === 'exact') {
      const ref = await denseOutputs(c, seqs);
      const run = await deltaOutputs(c, seqs, {inputThreshold: 0, threshold: 0, debug: false});
      if (ref.shape.join(',') !== run.shape.join(',')) fail(0, `output shape [${run.shape}] vs dense [${ref.shape}]`);
      for (let f = 0; f < ref.values.length; f++) {
        const r = relErr(run.values[f], ref.values[f]);
        if (r > worstRel || Number.isNaN(r)) worstRel = Number.isNaN(r) ? Infinity : r;
        if (!(r <= EXACT_TOL)) fail(f, `rel error ${r.toExponential(3)} > ${EXACT_TOL} (changed ${(seqs[0].changed[f] * 100).toFixed(1)}%)`);
      }
      for (const p of run.problems) fail(p.frame, p.what);
      for (const p of checkStats(c, seqs, run)) fail(p.frame, p.what);
    } else {
      const run = await deltaOutputs(c, seqs, {inputThreshold: INPUT_THRESHOLD, threshold: THRESHOLD, debug: true});
      for (const p of run.problems) fail(p.frame, p.what);
      for (const p of checkStats(c, seqs, run)) fail(p.frame, p.what);
      for (const k of c.kernels) {
        for (let f = 0; f < run.debug.length; f++) {
          if (run.debug[f].some((r) => r.kernel === k)) continue;
          // a slot that ran its dense kernel as an accepted fallback (harness.allowFallback) keeps no record: its
          // output is exact for the inputs it saw, so the invariant holds trivially (values: the exact-mode pass)
          const ls = run.stats[f].layers.filter((l) => l.kernel === k);
          if (ls.length && ls.every((l) => l.mode === 'fallback' && harness.allowFallback?.(k, l.fallbackReason))) continue;
          fail(f, `no debug record of a ${k} slot`);
        }
      }
      const inv = await checkInvariant(c, run);
      worstInv = inv.worst;
      for (const p of inv.failures) fail(p.frame, p.what);
    }
  } catch (e) {
    fail(-1, `threw: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await tf.setBackend(harness.backend);
  }
  return {failures, worstRel, worstInv, frames: seqs[0].frames.length};
}

function formatFailures(fs: Failure[], limit = 6): string {
  const shown = fs.slice(0, limit).map((f) => `  [${f.mode}] ${f.label} (seed ${f.seed}) frame ${f.frame}: ${f.what}`);
  if (fs.length > limit) shown.push(`  ... and ${fs.length - limit} more`);
  return shown.join('\n');
}

/**
 * Defines one jasmine spec per mode for a group of cases (e.g. "FusedConv2D relu, bias"): all cases
 * run, failures are listed with kernel, attributes, seed and frame.
 */
export function kernelSpecs(group: string, makeCases: () => Case[], modes: Mode[] = ['exact', 'threshold']) {
  for (const mode of modes) {
    it(`${group} [${mode}]`, async () => {
      const t0 = Date.now();
      const cases = makeCases();
      const failures: Failure[] = [];
      let worstRel = 0, worstInv = 0, frames = 0;
      for (const c of cases) {
        const r = await runCase(c, mode, group);
        failures.push(...r.failures);
        worstRel = Math.max(worstRel, r.worstRel);
        worstInv = Math.max(worstInv, r.worstInv);
        frames += r.frames;
      }
      rows.push({spec: group, mode, cases: cases.length, frames, failures: failures.length, worstRel, worstInv, ms: Date.now() - t0});
      allFailures.push(...failures);
      if (failures.length) fail(`${failures.length} failure(s) in ${group} [${mode}]:\n${formatFailures(failures)}`);
    });
  }
}

/** Records a spec's outcome written by hand (drift tests etc.) into the summary table. */
export function recordRow(row: Row, failures: Failure[]) {
  rows.push(row);
  allFailures.push(...failures);
}

// One summary for the whole run: a line (plus the failing rows) on stdout, every row with
// DELTA_KERNEL_TABLE=1, and all rows and failures in build/results/kernels.json.
if (inJasmine) {
  afterAll(() => {
    if (rows.length === 0) return;
    const failed = rows.filter((r) => r.failures > 0);
    const shown = process.env.DELTA_KERNEL_TABLE === '1' ? rows : failed;
    const cases = rows.reduce((a, r) => a + r.cases, 0), frames = rows.reduce((a, r) => a + r.frames, 0);
    console.log(`\n[kernels] ${rows.length} specs (${cases} sequences, ${frames} frames): ${rows.length - failed.length} passed, ` +
      `${failed.length} failed; worst exact-mode rel error ${Math.max(...rows.map((r) => r.worstRel)).toExponential(2)} ` +
      `(tolerance ${EXACT_TOL}); rows in build/results/kernels.json`);
    if (shown.length) {
      console.table(shown.map((r) => ({...r, worstRel: r.worstRel.toExponential(2), worstInv: r.worstInv.toFixed(2), result: r.failures ? 'FAIL' : 'pass'})));
    }
    try {
      mkdirSync('build/results', {recursive: true});
      writeFileSync(join('build/results', 'kernels.json'), JSON.stringify({rows, failures: allFailures}, null, 1));
    } catch { /* results are informative only */ }
  });
}

// ---- geometry helpers -----------------------------------------------------------------------------

export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export function padLabel(p: Pad): string {
  return Array.isArray(p) ? `explicit[${p[1]}|${p[2]}]` : String(p);
}

export const KERNEL_SIZES: Array<[number, number]> = [[1, 1], [3, 3], [5, 5], [7, 7], [3, 5], [5, 3], [1, 7], [2, 2]];

/** Random conv-like geometry obeying tfjs' rules (strides or dilations 1; output at least 1x1). */
export interface Geometry {
  batch: number; h: number; w: number;
  fh: number; fw: number;
  strides: [number, number]; dilations: [number, number];
  pad: Pad; dimRoundingMode?: 'floor' | 'ceil' | 'round';
}

export function randomGeometry(rng: Rng, o: {explicit?: boolean; numeric?: boolean; dilation?: boolean; sizes?: Array<[number, number]>} = {}): Geometry {
  const [fh, fw] = rng.pick(o.sizes ?? KERNEL_SIZES);
  const strides = rng.pick<[number, number]>([[1, 1], [2, 2], [1, 2], [2, 1], [1, 1]]);
  let dilations: [number, number] = [1, 1];
  if (o.dilation !== false && strides[0] === 1 && strides[1] === 1 && rng.bool(0.5)) dilations = rng.pick<[number, number]>([[2, 2], [1, 2], [2, 1]]);
  const pads: Pad[] = ['same', 'valid'];
  if (o.numeric !== false) pads.push(rng.int(0, 2));
  if (o.explicit !== false) pads.push([[0, 0], [rng.int(0, 3), rng.int(0, 3)], [rng.int(0, 3), rng.int(0, 3)], [0, 0]]);
  const pad = rng.pick(pads);
  const dimRoundingMode = typeof pad === 'number' && rng.bool(0.5) ? rng.pick(['floor', 'ceil', 'round'] as const) : undefined;
  const effH = (fh - 1) * dilations[0] + 1, effW = (fw - 1) * dilations[1] + 1;
  const extraH = Array.isArray(pad) ? pad[1][0] + pad[1][1] : typeof pad === 'number' ? 2 * pad : 0;
  const extraW = Array.isArray(pad) ? pad[2][0] + pad[2][1] : typeof pad === 'number' ? 2 * pad : 0;
  const h = rng.int(Math.max(9, pad === 'same' ? 0 : effH - extraH), 20);
  const w = rng.int(Math.max(9, pad === 'same' ? 0 : effW - extraW), 22);
  const batch = rng.bool(0.3) ? 3 : 1;
  return {batch, h, w, fh, fw, strides, dilations, pad, dimRoundingMode};
}

export function geometryLabel(g: Geometry): string {
  return `x[${g.batch},${g.h},${g.w}] k${g.fh}x${g.fw} s${g.strides.join('x')} d${g.dilations.join('x')} pad ${padLabel(g.pad)}` +
    (g.dimRoundingMode ? ` round ${g.dimRoundingMode}` : '');
}

/** Deterministic per-spec seeds: the group name hashed, plus the case index. */
export function seedOf(group: string, i: number): number {
  let h = 2166136261;
  for (let k = 0; k < group.length; k++) h = Math.imul(h ^ group.charCodeAt(k), 16777619);
  return ((h >>> 0) % 100000) * 100 + i;
}

export const ODD_CHANNELS = [1, 3, 5, 7];
