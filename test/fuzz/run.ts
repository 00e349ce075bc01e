// The fuzz runner: every seed is one case (test/fuzz/gen.ts) checked against the oracle, tfjs' dense
// 'cpu' backend, with the checks of the kernel specs (test/kernels/harness.ts):
//  - exact mode (all thresholds 0): every frame's output equals the dense result within 1e-5 relative
//    (max|delta - ref| / max(S, 1e-6), S = the largest |ref| over all frames of the case: after a frame
//    whose output is all zero the accumulators hold float residue of earlier frames' magnitude), and
//    equal shapes;
//  - threshold mode (the case's random inputThreshold / threshold, debug on): DESIGN §3's invariant on
//    every slot and frame (|output - denseKernel(inputs as the slot saw them)| <= its threshold, and
//    |raw input - seen input| <= its input threshold for diffed inputs);
//  - both modes: every slot of the asserted kernels took the delta path on every frame after the first,
//    a frame without change costs (almost) no MACs, older outputs keep their values (copy-on-write), no
//    tensor leaks.
// A failure prints the seed and a one-line replay command. Driven by scripts/fuzz.mjs.
import * as tf from '@tensorflow/tfjs-core';
import * as delta from 'tfjs-backend-delta';
import {checkInvariant, checkStats, deltaOutputs, denseOutputs, EXACT_TOL, maxAbs} from '../kernels/harness';
import {DEFAULT_MAX_SIZE, fuzzCase, FuzzCase, fuzzSequences, FUZZ_KERNELS} from './gen';
import {loadBackend} from './backends';

export interface CaseOutcome {
  seed: number;
  target: string;
  label: string;
  failures: string[];
  worstRel: number;
  worstInv: number;
  ms: number;
  /** The backend's data plane does not cover this configuration (it ran dense, reported as fallback with
   *  this reason; values still checked): counted and printed, not a failure. */
  unsupported?: string;
}

export interface FuzzRunOptions {
  seed: number;
  cases: number;
  backend: string;
  maxSize?: number;
  kernels?: string[];
  /** Called after every case (progress, verbose output). */
  onCase?: (o: CaseOutcome, index: number) => void;
  /** Stop after this many failing cases (default: run all). */
  maxFailures?: number;
  /** Start no case after this time (Date.now() ms; the bundle's bounded GPU run): the summary counts what ran. */
  deadline?: number;
}

export interface FuzzSummary {
  backend: string;
  seed: number;
  cases: number;
  failed: CaseOutcome[];
  perKernel: Record<string, {cases: number; failed: number; worstRel: number; worstInv: number; ms: number; unsupported?: number}>;
  /** Cases whose configuration the backend's data plane does not cover (CaseOutcome.unsupported). */
  unsupported?: Array<{seed: number; target: string; reason: string}>;
  ms: number;
  /** Op-table kernels the generator does not cover (must be empty). */
  uncovered: string[];
}

/** The replay command; $DELTA_FUZZ_REPLAY replaces `npm run fuzz --` (the offline bundle: `bash DIR/run.sh fuzz`). */
export function replayCommand(seed: number, backend: string, maxSize = DEFAULT_MAX_SIZE): string {
  return `${process.env.DELTA_FUZZ_REPLAY || 'npm run fuzz --'} --seed ${seed} --cases 1 --backend ${backend}${maxSize !== DEFAULT_MAX_SIZE ? ` --max-size ${maxSize}` : ''}`;
}

/** max|a - ref| / max(scale, 1e-6) (NaN or a length mismatch: Infinity). */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>, scale: number): number {
  if (a.length !== ref.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (!(d <= m)) m = d;  // NaN propagates as failure
  }
  return m / Math.max(scale, 1e-6);
}

/** Runs one case in both modes on `backend`; returns its failures (empty: passed). */
export async function runFuzzCase(c: FuzzCase, backend: string): Promise<{failures: string[]; worstRel: number; worstInv: number}> {
  const failures: string[] = [];
  const fail = (mode: string, frame: number, what: string) => failures.push(`[${mode}] frame ${frame}: ${what}`);
  let worstRel = 0, worstInv = 0;
  try {
    // exact mode
    const seqs = fuzzSequences(c, 'exact');
    const ref = await denseOutputs(c, seqs);
    const run = await deltaOutputs(c, seqs, {inputThreshold: 0, threshold: 0, debug: false, backend, keyframeInterval: c.keyframeInterval});
    if (ref.shape.join(',') !== run.shape.join(',')) fail('exact', 0, `output shape [${run.shape}] vs dense [${ref.shape}]`);
    // Relative to the output's magnitude over the whole sequence: after a frame whose output is all
    // (near) zero, the accumulators hold float residue of the earlier frames' magnitude.
    const scale = Math.max(...ref.values.map((v) => maxAbs(v)));
    for (let f = 0; f < ref.values.length; f++) {
      const r = relErr(run.values[f], ref.values[f], scale);
      if (r > worstRel || Number.isNaN(r)) worstRel = Number.isNaN(r) ? Infinity : r;
      if (!(r <= EXACT_TOL)) fail('exact', f, `rel error ${r.toExponential(3)} > ${EXACT_TOL} (frame kinds ${c.schedules.map((s) => s[f]).join(',')})`);
    }
    for (const p of run.problems) fail('exact', p.frame, p.what);
    for (const p of checkStats(c, seqs, run)) fail('exact', p.frame, p.what);
  } catch (e) {
    fail('exact', -1, `threw: ${(e as Error).stack ?? String(e)}`);
  }
  try {
    // threshold mode
    const thr = c.thresholds!;
    const seqs = fuzzSequences(c, 'threshold');
    const run = await deltaOutputs(c, seqs, {inputThreshold: thr.input, threshold: thr.inner, debug: true, backend,
      keyframeInterval: c.keyframeInterval});
    for (const p of run.problems) fail('threshold', p.frame, p.what);
    for (const p of checkStats(c, seqs, run)) fail('threshold', p.frame, p.what);
    for (const k of c.kernels) {
      for (let f = 0; f < run.debug.length; f++) {
        if (!run.debug[f].some((r) => r.kernel === k)) fail('threshold', f, `no debug record of a ${k} slot`);
      }
    }
    const inv = await checkInvariant(c, run);
    worstInv = inv.worst;
    for (const p of inv.failures) fail('threshold', p.frame, p.what);
  } catch (e) {
    fail('threshold', -1, `threw: ${(e as Error).stack ?? String(e)}`);
  }
  await tf.setBackend(backend);
  return {failures, worstRel, worstInv};
}

/** Runs seeds seed .. seed+cases-1 on one backend. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzSummary> {
  loadBackend(o.backend);
  const maxSize = o.maxSize ?? DEFAULT_MAX_SIZE;
  const uncovered = delta.DELTA_KERNELS.filter((k) => !(FUZZ_KERNELS as readonly string[]).includes(k));
  const kernels = o.kernels?.length ? o.kernels : [...FUZZ_KERNELS];
  for (const k of kernels) {
    if (!(FUZZ_KERNELS as readonly string[]).includes(k)) throw new Error(`fuzz: unknown kernel '${k}' (known: ${FUZZ_KERNELS.join(', ')})`);
  }
  // a backend that cannot start (delta-cuda without its addon or a device): one clear error, not K failed cases
  if (!(await tf.setBackend(o.backend))) throw new Error(`tf.setBackend('${o.backend}') failed (its reason is printed above)`);
  const t0 = Date.now();
  const summary: FuzzSummary = {backend: o.backend, seed: o.seed, cases: 0, failed: [], perKernel: {}, ms: 0, uncovered};
  for (let i = 0; i < o.cases; i++) {
    const seed = o.seed + i;
    const c0 = Date.now();
    let outcome: CaseOutcome;
    try {
      const c = fuzzCase(seed, {maxSize, kernels});
      const r = await runFuzzCase(c, o.backend);
      outcome = {seed, target: c.target, label: c.label, failures: r.failures, worstRel: r.worstRel, worstInv: r.worstInv, ms: Date.now() - c0};
    } catch (e) {
      outcome = {seed, target: '?', label: '(generator failed)', failures: [`threw: ${(e as Error).stack ?? String(e)}`],
        worstRel: 0, worstInv: 0, ms: Date.now() - c0};
    }
    summary.cases++;
    const k = (summary.perKernel[outcome.target] ??= {cases: 0, failed: 0, worstRel: 0, worstInv: 0, ms: 0});
    k.cases++;
    k.ms += outcome.ms;
    k.worstRel = Math.max(k.worstRel, outcome.worstRel);
    k.worstInv = Math.max(k.worstInv, outcome.worstInv);
    // A case whose only failures are plane-specific fallbacks ("ran 'fallback' (delta-webgpu ...)", keyframes
    // of such a slot): the data plane lacks that configuration; the values were checked like any other.
    // delta-cuda's plane names kernels it has no delta kernel for: "(delta kernel not implemented on delta-cuda)".
    const planeFallback = /ran 'fallback', not 'delta' \((delta-webgpu|delta-cuda|delta kernel not implemented on delta-cuda)[^)]*\)|ran 'fallback' on a keyframe|no debug record of a \w+ slot/;
    if (outcome.failures.length && outcome.failures.every((f) => planeFallback.test(f))) {
      const reason = outcome.failures.map((f) => f.match(/\((delta-(?:webgpu|cuda)[^)]*|delta kernel not implemented on delta-cuda)\)/)?.[1])
        .find(Boolean) ?? 'fallback';
      outcome.unsupported = reason;
      outcome.failures = [];
      k.unsupported = (k.unsupported ?? 0) + 1;
      (summary.unsupported ??= []).push({seed, target: outcome.target, reason});
    }
    if (outcome.failures.length) {
      k.failed++;
      summary.failed.push(outcome);
    }
    o.onCase?.(outcome, i);
    if (o.maxFailures && summary.failed.length >= o.maxFailures) break;
    if (o.deadline && Date.now() >= o.deadline) break;
  }
  summary.ms = Date.now() - t0;
  return summary;
}
