/**
 * Automatic per-layer thresholds (issue 6) on delta-cpu: stable layer keys (equal across two loads of a
 * model, distinct within one), threshold lookup by key, calibrate() on a small synthetic net (reaches the
 * target on the calibration frames, skips at least as many MACs as the best global setting), save ->
 * load round trip, and the mismatch error.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {readFileSync} from 'node:fs';
import * as delta from 'tfjs-backend-delta';
import 'tfjs-backend-delta/cpu';
import {loadSyntheticModel, sceneFrame, SmallNet} from '../hostile/nets';

const H = 24, W = 24;
const frameOf = (f: number, seed = 5) => tf.tensor(sceneFrame(seed, f, {h: H, w: W, objects: 2}), [1, H, W, 3]) as tf.Tensor4D;

function exactMode() {
  delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 300, debug: false});
  delta.reset();
}

async function keysOfOneFrame(run: (x: tf.Tensor4D) => tf.Tensor | tf.Tensor[]): Promise<{name: string; key: string}[]> {
  delta.reset();
  const x = frameOf(0);
  tf.dispose(delta.frame(() => run(x)));
  x.dispose();
  return delta.stats().layers.map((l) => ({name: l.name, key: l.key}));
}

describe('calibrate: stable layer keys', () => {
  beforeAll(async () => { await tf.setBackend('delta-cpu'); });
  beforeEach(exactMode);

  it('FNV-1a 64 matches the reference vectors', () => {
    // Indirectly through fingerprintOf: fnv1a64('') = cbf29ce484222325, fnv1a64('a') = af63dc4c8601ec8c.
    expect(delta.fingerprintOf([])).toBe('cbf29ce484222325');
    expect(delta.fingerprintOf(['a'])).toBe('af63dc4c8601ec8c');
  });

  it('are equal across two loads of the same JS net and unique within it', async () => {
    const a = SmallNet.random(11).load();
    const k1 = await keysOfOneFrame((x) => a.run(x));
    a.dispose();
    const b = SmallNet.random(11).load();
    const k2 = await keysOfOneFrame((x) => b.run(x));
    b.dispose();
    expect(k1.length).toBeGreaterThan(8);
    expect(k2).toEqual(k1);
    expect(new Set(k1.map((k) => k.key)).size).toBe(k1.length);
    for (const k of k1) expect(k.key).toMatch(/^([0-9a-f]{16}:[A-Za-z0-9]+#[0-9]+|start)(\+[0-9]+:[A-Za-z0-9]+)?$/);
    const c = SmallNet.random(12).load();
    const k3 = await keysOfOneFrame((x) => c.run(x));
    c.dispose();
    expect(k3.map((k) => k.key)).not.toEqual(k1.map((k) => k.key));   // other weights, other keys
  });

  it('are equal across two loads of a GraphModel', async () => {
    const m1 = await loadSyntheticModel(3, {preprocess: true});
    const k1 = await keysOfOneFrame((x) => m1.execute(x) as tf.Tensor);
    m1.dispose();
    const m2 = await loadSyntheticModel(3, {preprocess: true});
    const k2 = await keysOfOneFrame((x) => m2.execute(x) as tf.Tensor);
    m2.dispose();
    expect(k2).toEqual(k1);
  });

  it('configure({thresholds}) accepts a stable key (same effect as the name)', async () => {
    const net = SmallNet.random(11).load();
    const layers = await keysOfOneFrame((x) => net.run(x));
    const conv = delta.stats().layers.find((l) => l.kernel === 'FusedConv2D')!;
    delta.configure({thresholds: {[conv.key]: 0.05}});
    delta.reset();
    for (let f = 0; f < 2; f++) { const x = frameOf(f); tf.dispose(delta.frame(() => net.run(x))); x.dispose(); }
    expect(delta.stats().layers.find((l) => l.key === conv.key)!.threshold).toBe(0.05);
    expect(delta.stats().warnings).toEqual([]);
    delta.configure({thresholds: {'ffffffffffffffff:Conv2D#0': 0.1}});
    const x = frameOf(2); tf.dispose(delta.frame(() => net.run(x))); x.dispose();
    expect(delta.stats().warnings.length).toBe(1);
    expect(delta.stats().warnings[0]).toContain('ffffffffffffffff:Conv2D#0');
    expect(layers.length).toBeGreaterThan(0);
    net.dispose();
  });
});

describe('calibrate: search, save, load', () => {
  const FRAMES = 6;
  let net: SmallNet;
  const frames: tf.Tensor4D[] = [];
  const run = (f: number) => net.run(frames[f]);

  beforeAll(async () => {
    await tf.setBackend('delta-cpu');
    net = SmallNet.random(21).load();
    for (let f = 0; f < FRAMES; f++) frames.push(frameOf(f, 9));
  });
  afterAll(() => { net.dispose(); tf.dispose(frames); exactMode(); });
  beforeEach(exactMode);

  async function evaluate(cfg: delta.DeltaConfigUpdate): Promise<{macRatio: number; metric: number}> {
    const dense: Float32Array[][] = [];
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
    delta.reset();
    for (let f = 0; f < FRAMES; f++) {
      const out = delta.frame(() => run(f));
      dense.push(out.map((t) => t.dataSync() as Float32Array));
      tf.dispose(out);
    }
    delta.configure(cfg);
    delta.reset();
    let worst = 0, d = 0, p = 0;
    for (let f = 0; f < FRAMES; f++) {
      const out = delta.frame(() => run(f));
      out.forEach((t, i) => {
        const v = t.dataSync(), r = dense[f][i];
        let mx = 0, me = 0;
        for (let k = 0; k < r.length; k++) { mx = Math.max(mx, Math.abs(r[k])); me = Math.max(me, Math.abs(v[k] - r[k])); }
        worst = Math.max(worst, me / Math.max(mx, 1e-12));
      });
      tf.dispose(out);
      if (f > 0) { const t = delta.stats().totals; d += t.denseMacs; p += t.performedMacs; }
    }
    return {macRatio: d / p, metric: worst};
  }

  const TARGET = 0.02;
  let result: delta.CalibrationResult;

  it('reaches the target on the calibration frames and beats the best global setting', async () => {
    const progress: delta.CalibrationProgress[] = [];
    const before = delta.getConfig();
    result = await delta.calibrate(run, FRAMES, {metric: 'maxRel', target: TARGET, inputRange: [0, 1],
      budget: {evaluations: 60}, onProgress: (p) => progress.push(p)});
    expect(delta.getConfig()).toEqual(before);                     // configuration restored
    expect(result.metric).toBeLessThanOrEqual(TARGET);
    expect(result.evaluations).toBeLessThanOrEqual(60);
    expect(progress.length).toBe(result.evaluations);
    expect(Object.keys(result.thresholds).length).toBeGreaterThan(0);
    for (const k of Object.keys(result.thresholds)) expect(result.keys).toContain(k);
    // Re-evaluated independently: within target, and the MAC ratio calibrate reported.
    const check = await evaluate({inputThreshold: result.inputThreshold, threshold: result.threshold, thresholds: result.thresholds});
    expect(check.metric).toBeLessThanOrEqual(TARGET);
    expect(check.macRatio).toBeCloseTo(result.macRatio, 6);
    // The best single global setting (input x activation grid) that reaches the same target.
    let bestGlobal = 1;
    for (const i of [0, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08]) {
      for (const a of [0, 0.01, 0.03, 0.1]) {
        const e = await evaluate({inputThreshold: i, threshold: a, thresholds: {}});
        if (e.metric <= TARGET) bestGlobal = Math.max(bestGlobal, e.macRatio);
      }
    }
    expect(result.macRatio).toBeGreaterThanOrEqual(bestGlobal);
    expect(result.macRatio).toBeGreaterThan(1);
  });

  it('saves and loads (round trip) and the loaded thresholds apply by stable key', async () => {
    const json = delta.saveThresholds(result);
    const file = JSON.parse(json);
    expect(file.format).toBe(delta.THRESHOLDS_FORMAT);
    expect(file.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(file.model.keys).toEqual(result.keys);
    expect(file.model.fingerprint).toBe(delta.fingerprintOf(result.keys));
    const loaded = delta.loadThresholds(json, 'test.json');
    expect(loaded.thresholds).toEqual(result.thresholds);
    const cfg = delta.getConfig();
    expect(cfg.thresholds).toEqual(result.thresholds);
    expect(cfg.inputThreshold).toBe(result.inputThreshold);
    expect(cfg.threshold).toBe(result.threshold);
    // A reloaded copy of the model (new tensors, same weights) gets the same thresholds.
    const copy = SmallNet.random(21).load();
    delta.reset();
    for (let f = 0; f < 2; f++) tf.dispose(delta.frame(() => copy.run(frames[f])));
    expect(delta.checkThresholds()).toEqual(jasmine.arrayWithExactContents(result.keys));
    expect(delta.stats().warnings).toEqual([]);
    for (const l of delta.stats().layers) {
      if (result.thresholds[l.key] !== undefined && l.mode !== 'fallback') expect(l.threshold).toBe(result.thresholds[l.key]);
    }
    copy.dispose();
  });

  it('reports thresholds of another model: stats().warnings and checkThresholds() throws', async () => {
    delta.loadThresholds(delta.saveThresholds(result), 'net21.json');
    const other = SmallNet.random(22).load();
    delta.reset();
    for (let f = 0; f < 2; f++) tf.dispose(delta.frame(() => other.run(frames[f])));
    expect(delta.stats().warnings.length).toBe(1);
    expect(delta.stats().warnings[0]).toContain('net21.json');
    expect(() => delta.checkThresholds()).toThrowError(/thresholds from net21.json were calibrated for another model/);
    other.dispose();
  });

  it('rejects malformed files and slot names with one-line errors', () => {
    expect(() => delta.loadThresholds('{')).toThrowError(/not JSON/);
    expect(() => delta.loadThresholds('{"format":"x"}')).toThrowError(/not a thresholds file/);
    const edited = JSON.parse(delta.saveThresholds(result));
    edited.model.keys = ['0123456789abcdef:Conv2D#0', ...edited.model.keys];
    expect(() => delta.loadThresholds(JSON.stringify(edited))).toThrowError(/fingerprint does not match/);
    const bad = JSON.parse(delta.saveThresholds(result));
    bad.thresholds['nope'] = 0.1;
    expect(() => delta.loadThresholds(JSON.stringify(bad))).toThrowError(/not in the file's model keys/);
    bad.thresholds = {[result.keys[0]]: -1};
    expect(() => delta.loadThresholds(JSON.stringify(bad))).toThrowError(/>= 0/);
    expect(() => delta.saveThresholds({...result, thresholds: {'3:Relu': 0.1}})).toThrowError(/slot name/);
  });

  it('validates its arguments', async () => {
    await expectAsync(delta.calibrate(run, 1, {metric: 'maxRel', target: 0.1})).toBeRejectedWithError(/frames/);
    await expectAsync(delta.calibrate(run, 3, {metric: 'nope' as 'maxRel', target: 0.1})).toBeRejectedWithError(/unknown metric/);
  });
});
