// Long sequences: the delta state must not drift.
//  - threshold mode, 30 frames of small random drifts (a random walk of steps below the input
//    threshold, a slow global brightness drift, and a few blobs): at every frame the output's error
//    against the dense result on the RAW input stays within the bound propagated from the thresholds
//    (|W|_1 * inputThreshold + threshold for a conv with a fused activation of Lipschitz constant <= 1;
//    composed through a chain), a bound that does not depend on the frame count; and the per-slot
//    invariant holds on every frame;
//  - exact mode, 60 frames of a random walk on 30% of the pixels: the accumulators stay within 1e-5
//    relative of the dense result on every frame (no float drift before the keyframe).
import * as tf from '@tensorflow/tfjs-core';
import {Case, checkInvariant, checkStats, deltaOutputs, denseOutputs, EXACT_TOL, Failure, INPUT_THRESHOLD, maxAbs,
  recordRow, relErr, Rng, seedOf, Sequence, sizeOf, THRESHOLD} from './harness';

/** Random-walk frames: every frame moves `share` of the pixels by up to `step`, plus a global drift. */
function walk(rng: Rng, shape: number[], frames: number, o: {step: number; share: number; global?: number; blobsEvery?: number}): Sequence {
  const C = shape[shape.length - 1];
  const n = sizeOf(shape);
  const out: Float32Array[] = [rng.array(n)];
  const changed = [1];
  for (let f = 1; f < frames; f++) {
    const v = out[f - 1].slice();
    let moved = 0;
    for (let p = 0; p < n / C; p++) {
      if (!rng.bool(o.share)) continue;
      moved++;
      for (let c = 0; c < C; c++) v[p * C + c] += rng.uniform(-o.step, o.step);
    }
    if (o.global) for (let i = 0; i < n; i++) v[i] += o.global;
    if (o.blobsEvery && f % o.blobsEvery === 0) {
      // a real change now and then
      const B = shape[0], H = shape[1], W = shape[2];
      const cy = rng.int(0, H - 1), cx = rng.int(0, W - 1), b = rng.int(0, B - 1);
      for (let y = Math.max(0, cy - 2); y < Math.min(H, cy + 3); y++) {
        for (let x = Math.max(0, cx - 2); x < Math.min(W, cx + 3); x++) {
          for (let c = 0; c < C; c++) v[((b * H + y) * W + x) * C + c] += 0.5;
        }
      }
    }
    out.push(v);
    changed.push(o.global ? 1 : moved / (n / C));
  }
  return {shape, frames: out, changed, same: out.map(() => false)};
}

/** max over output channels of sum |W[..., co]| (filter [fh, fw, ci, co]). */
function l1(w: Float32Array, shape: number[]): number {
  const co = shape[3];
  const s = new Float64Array(co);
  for (let i = 0; i < w.length; i++) s[i % co] += Math.abs(w[i]);
  return Math.max(...s);
}

function weights(rng: Rng, shape: number[], fanIn: number): Float32Array {
  const s = 1.5 / Math.sqrt(fanIn);
  return rng.array(sizeOf(shape), -s, s);
}

interface DriftCase { c: Case; seq: Sequence; bound: number }

function convReluCase(seed: number, seqOpts: Parameters<typeof walk>[3], frames: number, label: string): DriftCase {
  const rng = new Rng(seed);
  const shape = [1, 16, 16, 3];
  const fs = [3, 3, 3, 5];
  const W = weights(rng, fs, 27);
  const bias = rng.array(5, -0.3, 0.3);
  const seq = walk(rng, shape, frames, seqOpts);
  return {
    c: {
      label: `${label}: fusedConv3x3 relu +bias [1,16,16,3]->5`, seed, kernels: ['FusedConv2D'], inputShapes: [shape],
      consts: {f: {shape: fs, values: W}, b: {shape: [5], values: bias}},
      op: (c, [x]) => tf.fused.conv2d({x: x as tf.Tensor4D, filter: c.f as tf.Tensor4D, strides: 1, pad: 'same', bias: c.b, activation: 'relu'}),
    },
    seq,
    // error of the seen input <= inputThreshold; relu is 1-Lipschitz; then truncation at THRESHOLD.
    bound: l1(W, fs) * INPUT_THRESHOLD + THRESHOLD,
  };
}

function chainCase(seed: number, frames: number): DriftCase {
  const rng = new Rng(seed);
  const shape = [1, 16, 16, 3];
  const f1 = [3, 3, 3, 4], f2 = [3, 3, 4, 3];
  const W1 = weights(rng, f1, 27), W2 = weights(rng, f2, 36);
  const seq = walk(rng, shape, frames, {step: 0.02, share: 0.5, blobsEvery: 7});
  // conv1 (fused relu, diffed input): e1 = |W1| t_in + t; conv2 (linear, update input): e2 = |W2| e1;
  // relu (nonlinear): e3 = e2 + t.
  const e1 = l1(W1, f1) * INPUT_THRESHOLD + THRESHOLD;
  const e3 = l1(W2, f2) * e1 + THRESHOLD;
  return {
    c: {
      label: 'random walk 0.02 on 50% + blobs: fusedConv relu -> conv -> relu', seed, chain: true, kernels: ['FusedConv2D', 'Conv2D', 'Relu'],
      inputShapes: [shape], consts: {f1: {shape: f1, values: W1}, f2: {shape: f2, values: W2}},
      op: (c, [x]) => tf.relu(tf.conv2d(tf.fused.conv2d({x: x as tf.Tensor4D, filter: c.f1 as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu'}),
          c.f2 as tf.Tensor4D, 1, 'same')),
    },
    seq,
    bound: e3,
  };
}

async function runThresholdDrift(group: string, d: DriftCase) {
  const t0 = Date.now();
  const failures: Failure[] = [];
  const fail = (frame: number, what: string) => failures.push({kernel: group, mode: 'threshold', label: d.c.label, seed: d.c.seed, frame, what});
  const seqs = [d.seq];
  const ref = await denseOutputs(d.c, seqs);
  const run = await deltaOutputs(d.c, seqs, {inputThreshold: INPUT_THRESHOLD, threshold: THRESHOLD, debug: true});
  const errs: number[] = [];
  for (let f = 0; f < ref.values.length; f++) {
    let m = 0;
    for (let i = 0; i < ref.values[f].length; i++) m = Math.max(m, Math.abs(run.values[f][i] - ref.values[f][i]));
    errs.push(m);
    const tol = 1e-5 * Math.max(1, maxAbs(ref.values[f]));
    if (!(m <= d.bound + tol)) fail(f, `error vs dense on raw input ${m.toExponential(3)} > propagated bound ${d.bound.toFixed(4)}`);
  }
  for (const p of run.problems) fail(p.frame, p.what);
  // Stats: delta path on every frame after the first (the MAC checks need sparse frames: skipped here).
  for (const p of checkStats({...d.c, macsExempt: d.c.kernels}, seqs, run)) fail(p.frame, p.what);
  const inv = await checkInvariant(d.c, run);
  for (const p of inv.failures) fail(p.frame, p.what);
  await tf.setBackend('delta-cpu');
  const late = Math.max(...errs.slice(-10));
  console.log(`[drift] ${d.c.label}: bound ${d.bound.toFixed(4)}, max error frames 1-10 ${Math.max(...errs.slice(1, 11)).toFixed(4)}, ` +
    `last 10 ${late.toFixed(4)}, final ${errs[errs.length - 1].toFixed(4)}; raw input moved up to ` +
    `${maxAbs(d.seq.frames[d.seq.frames.length - 1].map((v, i) => v - d.seq.frames[0][i])).toFixed(3)}`);
  recordRow({spec: group, mode: 'threshold', cases: 1, frames: ref.values.length, failures: failures.length, worstRel: 0,
    worstInv: inv.worst, ms: Date.now() - t0}, failures);
  return failures;
}

function report(failures: Failure[]) {
  if (failures.length) {
    fail(failures.slice(0, 6).map((f) => `[${f.mode}] ${f.label} (seed ${f.seed}) frame ${f.frame}: ${f.what}`).join('\n') +
      (failures.length > 6 ? `\n... and ${failures.length - 6} more` : ''));
  }
}

describe('delta kernels: long sequences do not drift', () => {
  it('drift: 30 frames of sub-threshold random walk, fused conv relu', async () => {
    const g = 'drift: sub-threshold random walk';
    report(await runThresholdDrift(g, convReluCase(seedOf(g, 0), {step: 0.03, share: 0.5}, 30, 'random walk 0.03 on 50%')));
  });
  it('drift: 30 frames of global brightness drift (+0.004 per frame) with blobs, fused conv relu', async () => {
    const g = 'drift: global brightness drift';
    report(await runThresholdDrift(g, convReluCase(seedOf(g, 0), {step: 0.01, share: 0.2, global: 0.004, blobsEvery: 5}, 30,
        'brightness +0.004/frame + walk 0.01 on 20% + blobs')));
  });
  it('drift: 30 frames through a chain (fused conv relu -> conv -> relu), composed bound', async () => {
    const g = 'drift: chain';
    report(await runThresholdDrift(g, chainCase(seedOf(g, 0), 30)));
  });
  it('keyframes: keyframeInterval 4 runs frames 4, 8, ... dense and the rest delta, exact on every frame', async () => {
    const g = 'keyframes every 4 frames';
    const t0 = Date.now();
    const failures: Failure[] = [];
    const d = convReluCase(seedOf(g, 0), {step: 0.3, share: 0.05}, 13, 'random walk 0.3 on 5%, keyframeInterval 4');
    const ref = await denseOutputs(d.c, [d.seq]);
    const run = await deltaOutputs(d.c, [d.seq], {inputThreshold: 0, threshold: 0, debug: false, keyframeInterval: 4});
    let worst = 0;
    const add = (frame: number, what: string) => failures.push({kernel: g, mode: 'exact', label: d.c.label, seed: d.c.seed, frame, what});
    for (let f = 0; f < ref.values.length; f++) {
      const r = relErr(run.values[f], ref.values[f]);
      worst = Math.max(worst, r);
      if (!(r <= EXACT_TOL)) add(f, `rel error ${r.toExponential(3)}`);
      const l = run.stats[f].layers.find((x) => x.kernel === 'FusedConv2D');
      const want = f % 4 === 0 ? 'dense' : 'delta';
      if (!l || l.mode !== want) add(f, `FusedConv2D slot ran '${l?.mode}', expected '${want}'`);
    }
    await tf.setBackend('delta-cpu');
    recordRow({spec: g, mode: 'exact', cases: 1, frames: ref.values.length, failures: failures.length, worstRel: worst, worstInv: 0, ms: Date.now() - t0}, failures);
    report(failures);
  });
  it('drift: 60 frames in exact mode stay within 1e-5 relative on every frame', async () => {
    const g = 'drift: exact 60 frames';
    const t0 = Date.now();
    const failures: Failure[] = [];
    const d = convReluCase(seedOf(g, 0), {step: 0.3, share: 0.3}, 60, 'random walk 0.3 on 30%, exact');
    const ref = await denseOutputs(d.c, [d.seq]);
    const run = await deltaOutputs(d.c, [d.seq], {inputThreshold: 0, threshold: 0, debug: false});
    let worst = 0;
    for (let f = 0; f < ref.values.length; f++) {
      const r = relErr(run.values[f], ref.values[f]);
      worst = Math.max(worst, r);
      if (!(r <= EXACT_TOL)) failures.push({kernel: g, mode: 'exact', label: d.c.label, seed: d.c.seed, frame: f, what: `rel error ${r.toExponential(3)}`});
    }
    for (const p of checkStats({...d.c, macsExempt: d.c.kernels}, [d.seq], run)) {
      failures.push({kernel: g, mode: 'exact', label: d.c.label, seed: d.c.seed, frame: p.frame, what: p.what});
    }
    await tf.setBackend('delta-cpu');
    recordRow({spec: g, mode: 'exact', cases: 1, frames: ref.values.length, failures: failures.length, worstRel: worst, worstInv: 0, ms: Date.now() - t0}, failures);
    report(failures);
  });
});
