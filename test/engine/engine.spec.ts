/**
 * The control plane on delta-cpu: frames, streams, signatures, re-seeding on bad input, keyframes,
 * leaks, registration. Each check compares with the dense `cpu` backend on the same inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {registerDeltaCpu} from 'tfjs-backend-delta/cpu';
import {prng, randomArray, relErr} from '../util/prng';

/** A small conv net with fixed weights, created on whichever backend is active. */
class TinyNet {
  private readonly w: {[k: string]: tf.Tensor} = {};
  constructor(private readonly arrays: {[k: string]: {shape: number[]; values: Float32Array}}) {}
  static random(seed: number, cin = 3): TinyNet {
    const r = prng(seed);
    const mk = (shape: number[], scale: number) => ({shape, values: randomArray(r, shape.reduce((a, b) => a * b, 1), scale)});
    return new TinyNet({
      w1: mk([3, 3, cin, 8], 0.4), b1: mk([8], 0.1), dw: mk([3, 3, 8, 1], 0.4), w2: mk([1, 1, 8, 6], 0.4), b2: mk([6], 0.1),
    });
  }
  load(): this {
    for (const [k, a] of Object.entries(this.arrays)) this.w[k] = tf.tensor(a.values, a.shape);
    return this;
  }
  dispose() { for (const t of Object.values(this.w)) t.dispose(); }
  /** x: [N,H,W,cin] float (or int32: cast and scaled first, like real models' preprocessing). */
  run(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x.dtype === 'int32' ? tf.div(tf.cast(x, 'float32'), 255) as tf.Tensor4D : x;
      h = tf.fused.conv2d({x: h, filter: this.w.w1 as tf.Tensor4D, bias: this.w.b1, activation: 'relu6', strides: 2, pad: 'same'});
      h = tf.relu(tf.depthwiseConv2d(h, this.w.dw as tf.Tensor4D, 1, 'same'));
      const y = tf.fused.conv2d({x: h, filter: this.w.w2 as tf.Tensor4D, bias: this.w.b2, strides: 1, pad: 'valid'});
      return tf.add(y, tf.maxPool(y, 3, 1, 'same'));
    });
  }
}

/** Frames with a few moving blobs over a fixed random background. */
function makeFrames(seed: number, n: number, h: number, w: number, c = 3, changing = 0.1): Float32Array[] {
  const r = prng(seed);
  const frames: Float32Array[] = [randomArray(r, h * w * c, 1)];
  for (let f = 1; f < n; f++) {
    const x = frames[f - 1].slice();
    const blobs = Math.max(1, Math.round(changing * h * w / 9));
    for (let b = 0; b < blobs; b++) {
      const cy = Math.floor(r() * h), cx = Math.floor(r() * w), rad = 1 + Math.floor(r() * 2);
      for (let y = Math.max(0, cy - rad); y < Math.min(h, cy + rad); y++) {
        for (let xx = Math.max(0, cx - rad); xx < Math.min(w, cx + rad); xx++) {
          for (let k = 0; k < c; k++) x[(y * w + xx) * c + k] = r() * 2 - 1;
        }
      }
    }
    frames.push(x);
  }
  return frames;
}

async function dense(net: TinyNet, frames: Float32Array[], shape: number[], dtype: 'float32' | 'int32' = 'float32'): Promise<Float32Array[]> {
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  net.load();
  const out: Float32Array[] = [];
  for (const f of frames) {
    const x = tf.tensor(f, shape, dtype) as tf.Tensor4D;
    const y = net.run(x);
    out.push((await y.data()) as Float32Array);
    tf.dispose([x, y]);
  }
  net.dispose();
  await tf.setBackend(prev);
  return out;
}

function exactMode() {
  delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 300, debug: false});
  delta.reset();
}

function layerModes(): string[] {
  return delta.stats().layers.filter((l) => l.mode !== 'fallback').map((l) => l.mode);
}

describe('delta engine on delta-cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('delta-cpu');
  });
  beforeEach(async () => {
    await tf.setBackend('delta-cpu');
    exactMode();
  });

  it('detects frames automatically and runs frames after the first as deltas, matching dense', async () => {
    const net = TinyNet.random(1);
    const frames = makeFrames(2, 8, 20, 24);
    const shape = [1, 20, 24, 3];
    const ref = await dense(net, frames, shape);
    net.load();
    for (let f = 0; f < frames.length; f++) {
      const x = tf.tensor(frames[f], shape) as tf.Tensor4D;
      const y = net.run(x);
      expect(relErr(await y.data(), ref[f])).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      const st = delta.stats();
      expect(st.frame).toBe(f);
      const modes = layerModes();
      expect(modes.length).toBe(6);  // fused conv, depthwise, relu, fused conv, maxpool, add
      if (f === 0) expect(modes.every((m) => m === 'dense')).toBe(true);
      else expect(modes.filter((m) => m === 'delta').length).toBeGreaterThanOrEqual(4);
    }
    const st = delta.stats();
    expect(st.totals.performedMacs).toBeLessThan(st.totals.denseMacs);
    net.dispose();
  });

  it('values read from an output stay as they were after later frames (outputs are updated in place)', async () => {
    const net = TinyNet.random(28);
    const frames = makeFrames(29, 5, 16, 16);
    const shape = [1, 16, 16, 3];
    const ref = await dense(net, frames, shape);
    net.load();
    const kept: Float32Array[] = [];
    const keptSync: number[][] = [];
    for (const f of frames) {
      const y = tf.tidy(() => net.run(tf.tensor(f, shape) as tf.Tensor4D));
      kept.push((await y.data()) as Float32Array);
      keptSync.push(Array.from(y.dataSync()));
      y.dispose();  // the slot may now reuse the buffer for the next frame
    }
    kept.forEach((v, i) => expect(relErr(v, ref[i])).withContext(`data() of frame ${i}`).toBeLessThan(1e-5));
    keptSync.forEach((v, i) => expect(relErr(v, ref[i])).withContext(`dataSync() of frame ${i}`).toBeLessThan(1e-5));
    net.dispose();
  });

  it('delta.frame() marks frames explicitly', async () => {
    const net = TinyNet.random(3);
    const frames = makeFrames(4, 5, 16, 16);
    const shape = [1, 16, 16, 3];
    const ref = await dense(net, frames, shape);
    net.load();
    for (let f = 0; f < frames.length; f++) {
      const y = delta.frame(() => tf.tidy(() => net.run(tf.tensor(frames[f], shape) as tf.Tensor4D)));
      expect(relErr(await y.data(), ref[f])).toBeLessThan(1e-5);
      y.dispose();
      expect(delta.stats().frame).toBe(f);
    }
    expect(layerModes().filter((m) => m === 'delta').length).toBeGreaterThanOrEqual(4);
    net.dispose();
  });

  it('keeps independent cameras apart with delta.stream(id, fn)', async () => {
    const net = TinyNet.random(5);
    const shape = [1, 16, 20, 3];
    const camA = makeFrames(6, 6, 16, 20), camB = makeFrames(7, 6, 16, 20);
    const refA = await dense(net, camA, shape), refB = await dense(net, camB, shape);
    net.load();
    for (let f = 0; f < camA.length; f++) {
      for (const [id, cam, ref] of [['a', camA, refA], ['b', camB, refB]] as const) {
        const y = delta.stream(id, () => tf.tidy(() => net.run(tf.tensor(cam[f], shape) as tf.Tensor4D)));
        expect(relErr(await y.data(), ref[f])).withContext(`stream ${id} frame ${f}`).toBeLessThan(1e-5);
        y.dispose();
        const st = delta.stats({stream: id});
        expect(st.stream).toBe(id);
        expect(st.frame).toBe(f);
        if (f > 0) expect(st.layers.filter((l) => l.mode === 'delta').length).toBeGreaterThanOrEqual(4);
      }
    }
    net.dispose();
  });

  it('reset({stream}) drops only that stream\'s state', async () => {
    const net = TinyNet.random(30).load();
    const shape = [1, 12, 12, 3];
    const frames = makeFrames(31, 3, 12, 12);
    const run = (id: string, f: Float32Array) => tf.dispose(delta.stream(id, () => tf.tidy(() => net.run(tf.tensor(f, shape) as tf.Tensor4D))));
    for (const f of frames.slice(0, 2)) { run('a', f); run('b', f); }
    delta.reset({stream: 'a'});
    run('a', frames[2]);
    run('b', frames[2]);
    const modes = (id: string) => delta.stats({stream: id}).layers.filter((l) => l.mode !== 'fallback').map((l) => l.mode);
    expect(modes('a').every((m) => m === 'dense')).toBe(true);
    expect(modes('b').filter((m) => m === 'delta').length).toBeGreaterThanOrEqual(4);
    net.dispose();
  });

  it('re-seeds on a resolution change mid-stream and stays correct', async () => {
    const net = TinyNet.random(8);
    const a = makeFrames(9, 4, 16, 16), b = makeFrames(10, 4, 24, 20);
    const refA = await dense(net, a, [1, 16, 16, 3]), refB = await dense(net, b, [1, 24, 20, 3]);
    net.load();
    const seq: Array<[Float32Array, number[], Float32Array]> = [
      ...a.slice(0, 2).map((f, i) => [f, [1, 16, 16, 3], refA[i]] as [Float32Array, number[], Float32Array]),
      ...b.map((f, i) => [f, [1, 24, 20, 3], refB[i]] as [Float32Array, number[], Float32Array]),
      ...a.slice(2).map((f, i) => [f, [1, 16, 16, 3], refA[i + 2]] as [Float32Array, number[], Float32Array]),
    ];
    for (const [frame, shape, ref] of seq) {
      const y = tf.tidy(() => net.run(tf.tensor(frame, shape) as tf.Tensor4D));
      expect(relErr(await y.data(), ref)).toBeLessThan(1e-5);
      y.dispose();
    }
    net.dispose();
  });

  it('takes int32 and float32 frames', async () => {
    const net = TinyNet.random(11);
    const shape = [1, 16, 16, 3];
    const frames = makeFrames(12, 5, 16, 16).map((f) => Int32Array.from(f, (v) => Math.round((v + 1) * 127.5)));
    const asFloat = frames.map((f) => Float32Array.from(f));
    const ref = await dense(net, asFloat, shape, 'int32');
    net.load();
    for (let f = 0; f < frames.length; f++) {
      const y = tf.tidy(() => net.run(tf.tensor(frames[f], shape, 'int32') as tf.Tensor4D));
      expect(relErr(await y.data(), ref[f])).toBeLessThan(1e-5);
      y.dispose();
    }
    expect(layerModes().filter((m) => m === 'delta').length).toBeGreaterThanOrEqual(4);
    net.dispose();
  });

  it('a frame with NaN/Inf does not poison later frames', async () => {
    const net = TinyNet.random(13);
    const shape = [1, 16, 16, 3];
    const frames = makeFrames(14, 8, 16, 16);
    frames[3] = frames[3].slice();
    frames[3][100] = NaN;
    frames[3][7] = Infinity;
    const ref = await dense(net, frames, shape);
    net.load();
    for (let f = 0; f < frames.length; f++) {
      const y = tf.tidy(() => net.run(tf.tensor(frames[f], shape) as tf.Tensor4D));
      const v = await y.data();
      y.dispose();
      if (f === 3) {
        expect(Array.from(v).some((e) => !Number.isFinite(e))).toBe(true);  // like dense
      } else {
        expect(relErr(v, ref[f])).withContext(`frame ${f}`).toBeLessThan(1e-5);
      }
    }
    // back on the delta path after the re-seed
    expect(layerModes().filter((m) => m === 'delta').length).toBeGreaterThanOrEqual(4);
    net.dispose();
  });

  it('two different models interleaved frame by frame both stay exact', async () => {
    const n1 = TinyNet.random(15), n2 = TinyNet.random(16);
    const shape = [1, 16, 16, 3];
    const f1 = makeFrames(17, 6, 16, 16), f2 = makeFrames(18, 6, 16, 16);
    const r1 = await dense(n1, f1, shape), r2 = await dense(n2, f2, shape);
    n1.load(); n2.load();
    for (let f = 0; f < f1.length; f++) {
      for (const [net, frames, ref] of [[n1, f1, r1], [n2, f2, r2]] as const) {
        const y = tf.tidy(() => net.run(tf.tensor(frames[f], shape) as tf.Tensor4D));
        expect(relErr(await y.data(), ref[f])).withContext(`frame ${f}`).toBeLessThan(1e-5);
        y.dispose();
        // Each model's run is detected as a frame of its own; its slots are keyed by its weights.
        if (f > 0) expect(layerModes().filter((m) => m === 'delta').length).withContext(`frame ${f}`).toBeGreaterThanOrEqual(5);
      }
    }
    n1.dispose(); n2.dispose();
  });

  it('an app that switches to another model for good on the same stream gets frames detected again (no reset)', async () => {
    // b's first call differs from a's (another input size), as for posenet -> movenet.
    const a = TinyNet.random(25), b = TinyNet.random(26);
    const shape = [1, 16, 16, 3], shapeB = [1, 20, 20, 3];
    const fa = makeFrames(27, 3, 16, 16), fb = makeFrames(28, 16, 20, 20);
    const ra = await dense(a, fa, shape), rb = await dense(b, fb, shapeB);
    a.load(); b.load();
    for (let f = 0; f < fa.length; f++) {
      const y = tf.tidy(() => a.run(tf.tensor(fa[f], shape) as tf.Tensor4D));
      expect(relErr(await y.data(), ra[f])).toBeLessThan(1e-5);
      y.dispose();
    }
    const slots: number[] = [];
    for (let f = 0; f < fb.length; f++) {
      const y = tf.tidy(() => b.run(tf.tensor(fb[f], shapeB) as tf.Tensor4D));
      expect(relErr(await y.data(), rb[f])).withContext(`model b, frame ${f}`).toBeLessThan(1e-5);
      y.dispose();
      slots.push(delta.memory().slots);
      // Model b's second run starts a frame; from its third on, its layers run as deltas of its own slots.
      if (f >= 2) expect(layerModes().filter((m) => m === 'delta').length).withContext(`model b, frame ${f}`).toBeGreaterThanOrEqual(5);
    }
    // Slots stay flat (before the fix every call of b took a new slot: +7 per frame until maxSlots).
    expect(slots[slots.length - 1]).withContext(`slots per frame: ${slots}`).toBe(slots[2]);
    a.dispose(); b.dispose();
  });

  it('keyframes run dense every N frames and delta.reset() forces a dense frame', async () => {
    delta.configure({keyframeInterval: 3});
    const net = TinyNet.random(19);
    const shape = [1, 12, 12, 3];
    const frames = makeFrames(20, 7, 12, 12);
    const ref = await dense(net, frames, shape);
    net.load();
    const modes: string[][] = [];
    for (let f = 0; f < frames.length; f++) {
      const y = tf.tidy(() => net.run(tf.tensor(frames[f], shape) as tf.Tensor4D));
      expect(relErr(await y.data(), ref[f])).toBeLessThan(1e-5);
      y.dispose();
      modes.push(layerModes());
    }
    for (const f of [0, 3, 6]) expect(modes[f].every((m) => m === 'dense')).withContext(`frame ${f}`).toBe(true);
    for (const f of [1, 2, 4, 5]) expect(modes[f].includes('delta')).withContext(`frame ${f}`).toBe(true);
    delta.reset({keyframe: true});
    const y = tf.tidy(() => net.run(tf.tensor(frames[6], shape) as tf.Tensor4D));
    y.dispose();
    expect(layerModes().every((m) => m === 'dense')).toBe(true);
    net.dispose();
  });

  it('leaks nothing over 100 frames (tensors, data ids, slots, buffers)', async () => {
    const net = TinyNet.random(21).load();
    const shape = [1, 12, 12, 3];
    const frames = makeFrames(22, 100, 12, 12, 3, 0.05);
    const counts: Array<[number, number, number, number]> = [];
    for (let f = 0; f < frames.length; f++) {
      const x = tf.tensor(frames[f], shape) as tf.Tensor4D;
      const y = net.run(x);
      await y.data();
      tf.dispose([x, y]);
      const m = delta.memory();
      counts.push([tf.memory().numTensors, tf.engine().backend.numDataIds(), m.slots, m.buffers]);
    }
    for (let f = 2; f < counts.length; f++) expect(counts[f]).withContext(`frame ${f}`).toEqual(counts[1]);
    net.dispose();
  });

  it('frees the state of a model when its weights are disposed', async () => {
    const net = TinyNet.random(26).load();
    const shape = [1, 12, 12, 3];
    for (const f of makeFrames(27, 3, 12, 12)) {
      const y = tf.tidy(() => net.run(tf.tensor(f, shape) as tf.Tensor4D));
      await y.data();
      y.dispose();
    }
    const before = delta.memory();
    expect(before.buffers).toBeGreaterThanOrEqual(6);
    net.dispose();
    const after = delta.memory();
    expect(after.buffers).toBeLessThanOrEqual(1);  // at most a slot before the first weights
    expect(after.slots).toBeLessThan(before.slots);
  });

  it('rejects bad configuration with a clear error', () => {
    expect(() => delta.configure({threshold: -1})).toThrowError(/threshold must be a finite number >= 0/);
    expect(() => delta.configure({inputThreshold: NaN})).toThrowError(/inputThreshold/);
    expect(() => delta.configure({keyframeInterval: 1.5})).toThrowError(/keyframeInterval must be an integer/);
    expect(() => delta.configure({bogus: 1} as unknown as delta.DeltaConfigUpdate)).toThrowError(/unknown option 'bogus'/);
    expect(() => delta.configure({thresholds: {'3:Relu': -2}})).toThrowError(/thresholds\['3:Relu'\]/);
  });

  it('runs NCHW and unsupported kernels through the dense fallback, reported as such', async () => {
    const r = prng(23);
    const x = tf.tensor4d(randomArray(r, 2 * 4 * 6 * 6), [2, 4, 6, 6]);
    const w = tf.tensor4d(randomArray(r, 3 * 3 * 4 * 5), [3, 3, 4, 5]);
    const ref = await (async () => {
      const xv = await x.data(), wv = await w.data();
      await tf.setBackend('cpu');
      const y = tf.conv2d(tf.transpose(tf.tensor4d(xv, [2, 4, 6, 6]), [0, 2, 3, 1]) as tf.Tensor4D, tf.tensor4d(wv, [3, 3, 4, 5]), 1, 'same');
      const v = await tf.transpose(y, [0, 3, 1, 2]).data();
      await tf.setBackend('delta-cpu');
      return v;
    })();
    // tfjs-cpu's conv2d supports NCHW only through the op's transposes; NHWC conv of the transposed input:
    const y = tf.transpose(tf.conv2d(tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D, w, 1, 'same'), [0, 3, 1, 2]);
    expect(relErr(await y.data(), ref)).toBeLessThan(1e-5);
    const st = delta.stats();
    const fallbacks = st.layers.filter((l) => l.mode === 'fallback');
    expect(fallbacks.some((l) => l.kernel === 'Transpose' && /no delta kernel/.test(l.fallbackReason ?? ''))).toBe(true);
    tf.dispose([x, w, y]);
  });

  it('survives tf.engine().reset() and re-registration', async () => {
    const net = TinyNet.random(24);
    const shape = [1, 12, 12, 3];
    const frames = makeFrames(25, 4, 12, 12);
    const ref = await dense(net, frames, shape);
    tf.engine().reset();
    registerDeltaCpu();
    await tf.setBackend('delta-cpu');
    net.load();
    for (let f = 0; f < frames.length; f++) {
      const y = tf.tidy(() => net.run(tf.tensor(frames[f], shape) as tf.Tensor4D));
      expect(relErr(await y.data(), ref[f])).toBeLessThan(1e-5);
      y.dispose();
    }
    expect(layerModes().includes('delta')).toBe(true);
    net.dispose();
    tf.removeBackend('delta-cpu');
    registerDeltaCpu();
    await tf.setBackend('delta-cpu');
    const t = tf.add(tf.scalar(1), tf.scalar(2));
    expect(await t.data()).toEqual(new Float32Array([3]));
    t.dispose();
  });

  it('a kernel that throws on bad shapes leaves its slot usable (regression)', async () => {
    const a = tf.tensor4d(new Float32Array(2 * 3 * 3 * 2).fill(1), [2, 3, 3, 2]);
    const b = tf.tensor4d(new Float32Array(2 * 3 * 3 * 2).fill(2), [2, 3, 3, 2]);
    const bad = tf.tensor4d(new Float32Array(1 * 4 * 3 * 2).fill(3), [1, 4, 3, 2]);
    for (let f = 0; f < 3; f++) {
      delta.frame(() => tf.dispose(tf.concat([a, b], 3)));
      expect(() => delta.frame(() => tf.concat([a, bad], 3))).toThrow();
    }
    const y = delta.frame(() => tf.concat([a, b], 3));
    expect(Array.from(await y.data()).filter((v) => v === 2).length).toBe(36);
    tf.dispose([a, b, bad, y]);
  });

  it('stats() and debug() explain themselves when the backend is not a delta backend', async () => {
    await tf.setBackend('cpu');
    expect(() => delta.stats()).toThrowError(/not a delta backend/);
    expect(delta.frame(() => 7)).toBe(7);
    await tf.setBackend('delta-cpu');
  });
});
