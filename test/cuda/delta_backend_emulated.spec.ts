// The delta-cuda backend (src/cuda/backend.ts: engine + data plane + device buffers) on the emulated addon
// (emulated_addon.ts), with tfjs-cpu's kernels as its dense kernels: runs without a GPU, on every commit.
// Regression specs of two defects the H100 acceptance run found:
//  - device buffers grew by 12 per frame in backend.spec's leak spec. Cause: that spec ran its network on the
//    stream of an earlier spec's network without delta.reset(): the stream's first call (the earlier network's
//    Conv2D) never came round again, so no frame started, every call got a new occurrence key (a new slot) and
//    nothing was evicted (src/core frame detection; the plane freed everything it was asked to). Here: the
//    same network after a reset keeps its slots, plane states and device buffers flat; and the plane frees
//    every buffer of a re-seeded slot (the bias is a new constant every frame: the conv slot re-seeds each frame).
//  - a frame without change after a busy frame recomputed the chain (cost model from the previous frame's
//    counts + full updates): now such a frame performs no MACs.
// And of three the reliability suites found on delta-cuda-emulated (test/hostile with DELTA_BACKENDS=...):
//  - the plane kept one identity list (2 buffers) per pixel count for good: model.dispose() left 8 buffers
//    per model; now a list goes with the last slot of its size;
//  - a debug step's record copies stayed on the device until the slot's next debug step;
//  - a NaN/Inf flagged by a delta step on the device never re-seeded the slot (the deferred counts did not
//    report it), and once reported it came a frame late (counts delivered during the next frame's calls).
// And replay's probe of the model input (DataPlane.probeInput) on a real model: posenet on pose_1.mp4 frames, replayed,
// frames with and without change equal dense cpu bit for bit, and a frame without change skips all 31 calls after one
// probe (the GPU side of the probe: test/cuda/sparsify.spec.ts, delta_plane.spec.ts).
// And calibrate() (issue 6; benchmarks/calibration/evaluate.cjs --backend delta-cuda) on delta-cuda: its MAC
// accounting comes from the device counters (deferred counts, settled before stats() is read).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import 'tfjs-backend-delta/cpu';
import {frameToInput, loadModelFile, MODELS} from 'tfjs-backend-delta/cli';
import {sceneFrame} from '../hostile/nets';
import {clipFrames, modelFile} from './data';
import {EmulatedCudaBackend, registerEmulatedCuda} from './emulated_backend';
import {leakNetwork} from './leak_network';

const NAME = 'delta-cuda-emulated-spec';
const register = () => registerEmulatedCuda(NAME);


/** 16x16x3 frames: a base, then one input pixel changed per frame (sparse steps touch a few pixels, dense ones all). */
const ONE_PIXEL_FRAMES = (() => {
  const base = Float32Array.from({length: 16 * 16 * 3}, (_, k) => (Math.sin(k * 0.37) + 1) / 2);
  return [0, 1, 2, 3].map((f) => { const v = base.slice(); if (f > 0) v[(f * 151) % v.length] += 0.5; return v; });
})();

/** net on each frame ([1, 16, 16, 3]) on the current backend, outputs read back. */
async function outputsOf(net: (x: tf.Tensor4D) => tf.Tensor, frames: Float32Array[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const v of frames) {
    const x = tf.tensor4d(v, [1, 16, 16, 3]);
    const y = net(x);
    out.push(Float32Array.from(await y.data() as Float32Array));
    tf.dispose([x, y]);
  }
  return out;
}
describe('delta-cuda backend on the emulated addon (no GPU)', () => {
  let b: EmulatedCudaBackend;
  let before: string;
  beforeAll(async () => {
    before = tf.getBackend() ?? 'cpu';
    register();
    expect(await tf.setBackend(NAME)).toBe(true);
    b = tf.backend() as EmulatedCudaBackend;
  });
  afterAll(async () => {
    tf.removeBackend(NAME);
    await tf.setBackend(before);
  });
  beforeEach(() => delta.reset());

  it('posenet replayed on real frames: a frame without change is one probe and 31 skipped calls; all frames equal dense cpu', async () => {
    const spec = MODELS.posenet;
    const frames = clipFrames('pose_1', spec.width, spec.height, spec.fit ?? 'stretch', 0, 4);
    const order = [0, 1, 2, 2, 2, 3, 3, 1];  // repeats: new tensors with the same values (frames without change)
    const resize = spec.signatureSize && (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
    const load = () => loadModelFile(modelFile('posenet')!, resize ? [spec.height, spec.width] : undefined);
    const run = async (execute: (x: tf.Tensor) => tf.Tensor | tf.Tensor[], f: number) => {
      const x = frameToInput(spec, frames[order[f]]);
      const y = execute(x);
      const ys = Array.isArray(y) ? y : [y];
      const v = await Promise.all(ys.map(async (t) => Float32Array.from(await t.data() as Float32Array)));
      tf.dispose([x, ...ys]);
      return v;
    };
    await tf.setBackend('cpu');
    const dense = await load();
    const ref: Float32Array[][] = [];
    for (let f = 0; f < order.length; f++) ref.push(await run((x) => dense.execute(x, spec.outputs) as tf.Tensor[], f));
    dense.dispose();
    await tf.setBackend(NAME);
    const model = await load();
    const fast = delta.replayModel(model);
    for (let f = 0; f < order.length; f++) {
      const skipped0 = delta.stats().totals.skippedRuns, probes0 = b.plane.stats.quietProbes, reads0 = b.plane.stats.diffCountReads;
      const got = await run((x) => fast.execute(x, spec.outputs) as tf.Tensor[], f);
      got.forEach((g, k) => expect(Array.from(g)).withContext(`frame ${f} output ${k}`).toEqual(Array.from(ref[f][k])));
      if (f < 2) continue;  // (recording)
      const quiet = order[f] === order[f - 1];
      expect(delta.stats().totals.skippedRuns - skipped0).withContext(`frame ${f}`).toBe(quiet ? 31 : 0);
      expect(b.plane.stats.quietProbes - probes0).withContext(`frame ${f}`).toBe(quiet ? 1 : 0);
      expect(b.plane.stats.diffCountReads - reads0).withContext(`frame ${f}: one diff of the frame`).toBe(1);
    }
    expect(fast.stats().replayedFrames).toBe(order.length - 2);
    expect(b.plane.stats.abandonedProbes).toBe(0);
    fast.dispose();
    model.dispose();
  });

  it('keeps slots, plane states and device buffers flat over frames whose conv bias is a new constant', async () => {
    // an earlier network on the stream (as in backend.spec): the reset above lets frames start again
    const {run, weights} = leakNetwork();
    const frame = async () => { const y = run(); await y.data(); y.dispose(); };
    for (let i = 0; i < 5; i++) await frame();
    await delta.settleStats();
    const n0 = tf.memory().numTensors, live0 = b.addon.liveBuffers(), slots0 = b.deltaEngine.slotCount();
    const states0 = b.plane.bufferCount(), seeds0 = b.plane.stats.seeds;
    for (let i = 0; i < 20; i++) await frame();
    await delta.settleStats();
    expect(b.plane.stats.seeds - seeds0).toBeGreaterThanOrEqual(20);  // the conv re-seeds every frame
    expect(tf.memory().numTensors).toBe(n0);
    expect(b.deltaEngine.slotCount()).toBe(slots0);
    expect(b.plane.bufferCount()).toBe(states0);
    expect(b.addon.liveBuffers()).toBe(live0);
    tf.dispose(weights);
  });

  it('a frame without change after a busy frame performs no MACs and gives the same values (conv chain)', async () => {
    const w = [8, 8, 8].map((c, i) => tf.randomNormal([3, 3, i === 0 ? 3 : 8, c], 0, 0.3) as tf.Tensor4D);
    const bias = tf.randomNormal([8]) as tf.Tensor1D;
    const net = (x: tf.Tensor4D) => tf.tidy(() => {
      let h = x;
      for (const f of w) h = tf.fused.conv2d({x: h, filter: f, bias, strides: 1, pad: 'same', activation: 'relu'});
      return tf.add(h, tf.conv2d(h, w[2], 1, 'same'));  // a residual add below the chain
    });
    // frames are written just before they run (a new input tensor starts the next frame)
    const frames = [0, 1, 2, 3].map((k) => tf.tidy(() => tf.randomUniform([1, 24, 24, 3], 0, 1, 'float32', 7 + k).dataSync()));
    const values: Float32Array[] = [];
    const inputs: tf.Tensor4D[] = [];
    const run = async (data: Float32Array) => {
      const x = tf.tensor4d(data, [1, 24, 24, 3]);
      inputs.push(x);
      const y = net(x);
      values.push(await y.data() as Float32Array);
      y.dispose();
      await delta.settleStats();
      return delta.stats().totals;
    };
    await run(frames[0]);
    await run(frames[1]);  // busy: every pixel changes
    await run(frames[2]);  // busy again: the cost model now picks dense steps (and full updates) from these counts
    // the same values in a new tensor: the host cannot know, the device finds no change
    const quiet = await run(frames[2].slice());
    expect(quiet.denseMacs).toBeGreaterThan(0);
    expect(quiet.performedMacs).toBe(0);
    expect(Array.from(values[3])).toEqual(Array.from(values[2]));
    const busy = await run(frames[3]);  // busy after the quiet frame: exact (thresholds 0) against tfjs-cpu
    expect(busy.performedMacs).toBeGreaterThan(0);
    await tf.setBackend('cpu');
    const ref = await net(tf.tensor4d(frames[3], [1, 24, 24, 3])).data();
    await tf.setBackend(NAME);
    values[4].forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref[i]))));
    tf.dispose([...w, bias, ...inputs]);
  });

  /** Live device buffers other than the counter ring's pages (which come and go with page boundaries). */
  const liveBuffers = () => b.addon.liveBuffers() - b.plane.counterPages();
  const convNet = (w: tf.Tensor4D, bias: tf.Tensor1D) => (x: tf.Tensor4D) =>
    tf.tidy(() => tf.relu(tf.add(tf.fused.conv2d({x, filter: w, bias, strides: 1, pad: 'same', activation: 'relu'}), 0.5)));

  it('frees every buffer of released slots, the identity list of their size included', async () => {
    await delta.settleStats();
    const w = tf.randomNormal([3, 3, 3, 8]) as tf.Tensor4D, bias = tf.randomNormal([8]) as tf.Tensor1D;
    const live0 = liveBuffers();
    const net = convNet(w, bias);
    for (const size of [16, 24, 32]) {
      for (let f = 0; f < 3; f++) {
        const x = tf.randomUniform([1, size, size, 3]) as tf.Tensor4D;
        const y = net(x);
        await y.data();
        tf.dispose([x, y]);
      }
    }
    expect(b.plane.bufferCount()).toBeGreaterThan(0);
    delta.reset();
    await delta.settleStats();
    expect(b.plane.bufferCount()).toBe(0);
    expect(liveBuffers()).toBe(live0);
    tf.dispose([w, bias]);
  });

  it('frees a debug step\'s record copies on the slot\'s next step without debug', async () => {
    const w = tf.randomNormal([3, 3, 3, 8]) as tf.Tensor4D, bias = tf.randomNormal([8]) as tf.Tensor1D;
    const net = convNet(w, bias);
    const frame = async (k: number) => {
      const x = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', k) as tf.Tensor4D;
      const y = net(x);
      await y.data();
      tf.dispose([x, y]);
      await delta.settleStats();
    };
    try {
      for (let k = 0; k < 3; k++) await frame(k);
      const quiet = liveBuffers();
      delta.configure({debug: true});
      await frame(3);
      expect(delta.debug().length).toBeGreaterThan(0);
      expect(liveBuffers()).toBeGreaterThan(quiet);  // the record's device copies
      delta.configure({debug: false});
      await frame(4);
      expect(liveBuffers()).toBe(quiet);
    } finally {
      delta.configure({debug: false});
      tf.dispose([w, bias]);
    }
  });

  it('a NaN flagged on the device re-seeds the slots on the next frame, then they are back on the delta path', async () => {
    const w = tf.randomNormal([3, 3, 3, 8]) as tf.Tensor4D, bias = tf.randomNormal([8]) as tf.Tensor1D;
    const net = convNet(w, bias);
    const modes: string[] = [];
    for (let f = 0; f < 6; f++) {
      const v = tf.tidy(() => tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 20 + f).dataSync()) as Float32Array;
      if (f === 2) v[100] = NaN;
      const x = tf.tensor4d(v, [1, 16, 16, 3]);
      const y = net(x);
      await y.data();  // no settleStats: the counts come with the download
      tf.dispose([x, y]);
      modes.push(delta.stats().layers.filter((l) => l.mode !== 'fallback').map((l) => l.mode).join(','));
    }
    await delta.settleStats();
    expect(b.plane.stats.nonFiniteSteps).toBeGreaterThan(0);
    // frame 2 steps (the NaN carried as dense carries it), frame 3 re-seeds every slot it reached, 4 and 5 step
    expect(modes[3].split(',')).not.toContain('delta');
    expect(modes[4].split(',').every((m) => m === 'delta')).withContext(modes[4]).toBe(true);
    expect(modes[5].split(',').every((m) => m === 'delta')).withContext(modes[5]).toBe(true);
    tf.dispose([w, bias]);
  });

  it('denseCrossoverDepthwise: depthwise convs take their own crossover while the other convs keep theirs; values equal dense cpu', async () => {
    const wc = tf.tensor4d(Array.from({length: 9 * 3 * 8}, (_, k) => Math.sin(k * 0.7) * 0.3), [3, 3, 3, 8]);
    const wd = tf.tensor4d(Array.from({length: 9 * 8}, (_, k) => Math.cos(k * 0.3) * 0.3), [3, 3, 8, 1]);
    const wp = tf.tensor4d(Array.from({length: 8 * 8}, (_, k) => Math.sin(k * 1.3) * 0.3), [1, 1, 8, 8]);
    const net = (x: tf.Tensor4D) => tf.tidy(() => {
      const a = tf.fused.conv2d({x, filter: wc, strides: 1, pad: 'same', activation: 'relu'});
      const d = tf.fused.depthwiseConv2d({x: a, filter: wd, strides: 1, pad: 'same', activation: 'relu'});
      return tf.fused.conv2d({x: d, filter: wp, strides: 1, pad: 'same'});
    });
    // one input pixel changes per frame: every sparse step touches a few pixels, a dense one all of them
    const outputs = () => outputsOf(net, ONE_PIXEL_FRAMES);
    const saved = {c: b.plane.denseCrossover, d: b.plane.denseCrossoverDepthwise};
    try {
      b.plane.denseCrossover = 2;           // convs: never dense
      b.plane.denseCrossoverDepthwise = 0;  // depthwise convs: always dense (when the backend has the kernel)
      const dense0 = b.plane.stats.denseSteps;
      const got = await outputs();
      await delta.settleStats();
      const layers = delta.stats().layers.filter((l) => l.mode !== 'fallback');
      const dw = layers.filter((l) => l.kernel.includes('Depthwise'));
      const convs = layers.filter((l) => !l.kernel.includes('Depthwise'));
      expect(dw.length).toBe(1);
      expect(convs.length).toBe(2);
      expect(b.plane.stats.denseSteps - dense0).toBe(3);  // the depthwise slot's three steps
      // the dense step counts the whole layer (in-bounds taps; the layer's denseMacs counts padding taps too)
      expect(dw[0].performedMacs).toBeGreaterThan(0.9 * dw[0].denseMacs);
      // the first conv recomputes the few pixels the changed input reaches; the 1x1 conv after the dense depthwise
      // step gets a full update from it (the plane's fullUpdateAbove) and runs dense too
      expect(convs[0].performedMacs).withContext(convs[0].name).toBeLessThan(convs[0].denseMacs / 4);
      expect(convs[1].performedMacs).withContext(convs[1].name).toBe(convs[1].denseMacs);
      // null: depthwise convs follow denseCrossover again (here: never dense)
      b.plane.denseCrossoverDepthwise = null;
      delta.reset();
      const dense1 = b.plane.stats.denseSteps;
      const again = await outputs();
      expect(b.plane.stats.denseSteps - dense1).toBe(0);
      await tf.setBackend('cpu');
      const ref = await outputs();
      await tf.setBackend(NAME);
      got.forEach((g, f) => expect(Array.from(g)).withContext(`frame ${f}`).toEqual(Array.from(ref[f])));
      again.forEach((g, f) => expect(Array.from(g)).withContext(`frame ${f}, null`).toEqual(Array.from(ref[f])));
    } finally {
      b.plane.denseCrossover = saved.c;
      b.plane.denseCrossoverDepthwise = saved.d;
      if (tf.getBackend() !== NAME) await tf.setBackend(NAME);
      tf.dispose([wc, wd, wp]);
    }
  });

  it('1x1 convs take their changed input pixels as candidates (no mark launch); values, MACs and active pixels as on delta-cpu', async () => {
    const wc = tf.tensor4d(Array.from({length: 9 * 3 * 8}, (_, k) => Math.sin(k * 0.7) * 0.3), [3, 3, 3, 8]);
    const w1 = tf.tensor4d(Array.from({length: 8 * 8}, (_, k) => Math.sin(k * 1.3) * 0.3), [1, 1, 8, 8]);
    const w2 = tf.tensor4d(Array.from({length: 8 * 12}, (_, k) => Math.cos(k * 0.9) * 0.3), [1, 1, 8, 12]);
    const bias = tf.tensor1d(Array.from({length: 12}, (_, k) => 0.05 * k - 0.2));
    const wd = tf.tensor4d(Array.from({length: 9 * 12}, (_, k) => Math.cos(k * 0.3) * 0.3), [3, 3, 12, 1]);
    const net = (x: tf.Tensor4D) => tf.tidy(() => {
      const a = tf.fused.conv2d({x, filter: wc, strides: 1, pad: 'same', activation: 'relu'});
      const p1 = tf.fused.conv2d({x: a, filter: w1, strides: 1, pad: 'same'});
      const p2 = tf.fused.conv2d({x: p1, filter: w2, bias, strides: 1, pad: 'valid', activation: 'relu6'});
      return tf.depthwiseConv2d(p2, wd, 1, 'same');
    });
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      delta.reset();
      const out = await outputsOf(net, ONE_PIXEL_FRAMES);
      await delta.settleStats();
      return {out, layers: delta.stats().layers.map((l) => ({kernel: l.kernel, macs: l.totalPerformedMacs, active: l.activeFraction, mean: l.meanActiveFraction}))};
    };
    const crossover = b.plane.denseCrossover;
    b.plane.denseCrossover = 2;  // every step sparse
    try {
      const free0 = b.plane.stats.markFreeSteps;
      const got = await run(NAME);
      expect(b.plane.stats.markFreeSteps - free0).toBe(6);  // the two 1x1 convs' three steps each
      const cpu = await run('delta-cpu');
      expect(got.layers).toEqual(cpu.layers);
      await tf.setBackend('cpu');
      const ref = await outputsOf(net, ONE_PIXEL_FRAMES);
      got.out.forEach((g, f) => expect(Array.from(g)).withContext(`frame ${f}`).toEqual(Array.from(ref[f])));
    } finally {
      b.plane.denseCrossover = crossover;
      await tf.setBackend(NAME);
      tf.dispose([wc, w1, w2, bias, wd]);
    }
  });

  it('calibrate() finds the same thresholds, MAC ratio and metric as on delta-cpu (sparse cost model)', async () => {
    const w = [8, 8, 8].map((c, i) => tf.tensor4d(Array.from({length: 9 * (i === 0 ? 3 : 8) * c}, (_, k) => Math.sin(k * 1.7 + i) * 0.4),
        [3, 3, i === 0 ? 3 : 8, c]));
    const bias = tf.tensor1d([0.1, -0.2, 0.05, 0, 0.3, -0.1, 0.2, -0.05]);
    const net = (x: tf.Tensor4D) => tf.tidy(() => {
      let h = x;
      for (const f of w) h = tf.fused.conv2d({x: h, filter: f, bias, strides: 1, pad: 'same', activation: 'relu'});
      return tf.add(h, tf.conv2d(h, w[2], 1, 'same'));
    });
    const run = (f: number) => { const x = tf.tensor4d(sceneFrame(3, f, {h: 20, w: 20, objects: 2}), [1, 20, 20, 3]); const y = net(x); x.dispose(); return y; };
    const calibrateOn = async (backend: string) => {
      await tf.setBackend(backend);
      delta.reset();
      const r = await delta.calibrate(run, 5, {metric: 'maxRel', target: 0.05, inputRange: [0, 1], budget: {evaluations: 14}});
      return {thresholds: r.thresholds, inputThreshold: r.inputThreshold, threshold: r.threshold, macRatio: r.macRatio, metric: r.metric,
        evaluations: r.evaluations};
    };
    const crossover = b.plane.denseCrossover;
    b.plane.denseCrossover = 2;  // > 1: every step a sparse recompute, whose counts are the changed pixels' MACs (as delta-cpu's)
    try {
      const onCpu = await calibrateOn('delta-cpu');
      const onCuda = await calibrateOn(NAME);
      expect(onCpu.macRatio).toBeGreaterThan(1.2);   // the search found thresholds that skip work
      expect(Object.keys(onCuda.thresholds).sort()).toEqual(Object.keys(onCpu.thresholds).sort());
      for (const [k, v] of Object.entries(onCpu.thresholds)) expect(onCuda.thresholds[k]).toBeCloseTo(v, 9);
      expect(onCuda.inputThreshold).toBeCloseTo(onCpu.inputThreshold, 9);
      expect(onCuda.threshold).toBeCloseTo(onCpu.threshold, 9);
      expect(onCuda.evaluations).toBe(onCpu.evaluations);
      expect(onCuda.macRatio).toBeCloseTo(onCpu.macRatio, 6);
      expect(onCuda.metric).toBeCloseTo(onCpu.metric, 4);
    } finally {
      b.plane.denseCrossover = crossover;
      await tf.setBackend(NAME);
      tf.dispose([...w, bias]);
    }
  });
});
