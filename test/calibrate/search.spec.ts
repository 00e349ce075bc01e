/**
 * calibrate() with task metrics (agreement >= target) on a small synthetic net, its search phases and
 * progress, and the keyframe policy: stats().errorEstimate, keyframeErrorBound, keyframeInterval.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import 'tfjs-backend-delta/cpu';
import {sceneFrame, SmallNet} from '../hostile/nets';

const H = 32, W = 32;
const frameOf = (f: number, seed = 7) => tf.tensor(sceneFrame(seed, f, {h: H, w: W, objects: 3}), [1, H, W, 3]) as tf.Tensor4D;

function exactMode() {
  delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 300, keyframeErrorBound: 0, debug: false});
  delta.reset();
}

describe('calibrate: task metrics and search', () => {
  const FRAMES = 8;
  let net: SmallNet;
  const frames: tf.Tensor4D[] = [];
  const run = (f: number) => net.run(frames[f]);
  const MASK: delta.TaskMetricSpec = {kind: 'mask', output: 0};

  beforeAll(async () => {
    await tf.setBackend('delta-cpu');
    net = SmallNet.random(31).load();
    for (let f = 0; f < FRAMES; f++) frames.push(frameOf(f));
  });
  afterAll(() => { net.dispose(); tf.dispose(frames); exactMode(); });
  beforeEach(exactMode);

  /** Mask IoU (pooled as calibrate does: mean over frames 1..N-1) and MAC ratio of one setting. */
  async function evaluate(cfg: delta.DeltaConfigUpdate): Promise<{macRatio: number; metric: number}> {
    const read = (out: tf.Tensor[]) => out.map((t) => ({values: t.dataSync() as Float32Array, shape: [...t.shape]}));
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
    delta.reset();
    const dense = [];
    for (let f = 0; f < FRAMES; f++) { const out = delta.frame(() => run(f)); dense.push(read(out)); tf.dispose(out); }
    delta.configure(cfg);
    delta.reset();
    let sum = 0, d = 0, p = 0;
    for (let f = 0; f < FRAMES; f++) {
      const out = delta.frame(() => run(f));
      if (f > 0) {
        sum += delta.maskIou(dense[f], read(out), MASK);
        const t = delta.stats().totals; d += t.denseMacs; p += t.performedMacs;
      }
      tf.dispose(out);
    }
    return {macRatio: d / p, metric: sum / (FRAMES - 1)};
  }

  it('keeps an agreement metric >= target, re-checked independently, and beats its own global phase', async () => {
    const progress: delta.CalibrationProgress[] = [];
    const target = 0.97;
    const result = await delta.calibrate(run, FRAMES, {metric: MASK, target, inputRange: [0, 1], budget: {evaluations: 40},
      onProgress: (p) => progress.push(p)});
    expect(result.higherIsBetter).toBe(true);
    expect(result.metricName).toBe('mask IoU(> 0.5)');
    expect(result.metric).toBeGreaterThanOrEqual(target);
    expect(result.evaluations).toBeLessThanOrEqual(40);
    expect(progress.map((p) => p.phase)).toContain('joint');
    expect(progress.map((p) => p.phase)).toContain('layers');
    // Every accepted step was feasible and raised the MAC ratio.
    let last = 0;
    for (const p of progress.filter((x) => x.accepted)) {
      expect(p.tried.metric).toBeGreaterThanOrEqual(target);
      expect(p.tried.macRatio).toBeGreaterThan(last);
      last = p.tried.macRatio;
    }
    const check = await evaluate({inputThreshold: result.inputThreshold, threshold: result.threshold, thresholds: result.thresholds});
    expect(check.metric).toBeCloseTo(result.metric, 9);
    expect(check.macRatio).toBeCloseTo(result.macRatio, 6);
    expect(result.macRatio).toBeGreaterThanOrEqual(result.global.macRatio);
    expect(result.macRatio).toBeGreaterThan(1.2);
    // Scales: one positive number per calibrated layer.
    for (const k of Object.keys(result.thresholds)) expect(result.scales[k]).toBeGreaterThan(0);
  });

  it('a stricter target skips no more MACs; an unreachable agreement target is an error', async () => {
    const loose = await delta.calibrate(run, FRAMES, {metric: MASK, target: 0.9, inputRange: [0, 1], budget: {evaluations: 12}});
    const strict = await delta.calibrate(run, FRAMES, {metric: MASK, target: 1, inputRange: [0, 1], budget: {evaluations: 12}});
    expect(strict.metric).toBe(1);
    expect(loose.macRatio).toBeGreaterThanOrEqual(strict.macRatio);
    await expectAsync(delta.calibrate(run, FRAMES, {metric: MASK, target: 2})).toBeRejectedWithError(/agreement in \[0, 1\]/);
    await expectAsync(delta.calibrate(run, FRAMES, {metric: {kind: 'boxes'}, target: 0.9})).toBeRejectedWithError(/\[1,N,6\]/);
  });
});

describe('keyframe policy', () => {
  let net: SmallNet;
  const frames: tf.Tensor4D[] = [];
  beforeAll(async () => {
    await tf.setBackend('delta-cpu');
    net = SmallNet.random(41).load();
    for (let f = 0; f < 12; f++) frames.push(frameOf(f, 11));
  });
  afterAll(() => { net.dispose(); tf.dispose(frames); exactMode(); });
  beforeEach(exactMode);

  function play(n: number): Array<{estimate: number; keyframes: number; dense: number}> {
    delta.reset();
    const rows = [];
    for (let f = 0; f < n; f++) {
      tf.dispose(delta.frame(() => net.run(frames[f % frames.length])));
      const st = delta.stats();
      rows.push({estimate: st.errorEstimate, keyframes: st.keyframes, dense: st.totals.denseRuns});
    }
    return rows;
  }

  it('errorEstimate is 0 in exact mode and on dense frames, in (0, 1] with thresholds', () => {
    expect(play(6).every((r) => r.estimate === 0)).toBe(true);
    delta.configure({inputThreshold: 0.05, threshold: 0.05});
    const rows = play(8);
    expect(rows[0].estimate).toBe(0);                       // the first frame is dense
    expect(Math.max(...rows.map((r) => r.estimate))).toBeGreaterThan(0);
    expect(Math.max(...rows.map((r) => r.estimate))).toBeLessThanOrEqual(1);
  });

  it('keyframeErrorBound runs a dense frame after a frame whose estimate passed the bound', () => {
    delta.configure({inputThreshold: 0.05, threshold: 0.05, keyframeInterval: 0});
    const free = play(10);
    expect(free[9].keyframes).toBe(0);
    const peak = Math.max(...free.slice(1).map((r) => r.estimate));
    const bound = peak / 2;
    delta.configure({keyframeErrorBound: bound});
    delta.reset();
    let keyframes = 0;
    for (let f = 0; f < 10; f++) {
      tf.dispose(delta.frame(() => net.run(frames[f])));
      const st = delta.stats();
      const isKey = st.keyframes > keyframes;
      keyframes = st.keyframes;
      if (isKey) {
        expect(st.layers.filter((l) => l.mode === 'delta').length).toBe(0);   // every layer ran dense
        expect(st.errorEstimate).toBe(0);
      }
    }
    expect(keyframes).toBeGreaterThan(0);
  });

  it('keyframeInterval counts keyframes; bad bounds are rejected', () => {
    delta.configure({inputThreshold: 0.05, threshold: 0.05, keyframeInterval: 4});
    expect(play(9)[8].keyframes).toBe(2);   // frames 4 and 8
    expect(() => delta.configure({keyframeErrorBound: 1.5})).toThrowError(/keyframeErrorBound must be a number in \[0, 1\]/);
    expect(() => delta.configure({keyframeErrorBound: -0.1})).toThrowError(/keyframeErrorBound/);
  });
});
