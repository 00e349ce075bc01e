/**
 * delta.layerOf(tensor): which stats() row made a tensor. The browser demo draws a layer's active
 * pixels from the frame-to-frame changes of that layer's output; this checks the premise on delta-cpu:
 * on delta steps the changed pixels are exactly the active pixels that stats() counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import 'tfjs-backend-delta/cpu';
import {prng, randomArray} from '../util/prng';

/** Share of pixels (all channels together) whose value differs between a and b. */
function changedPixels(a: Float32Array, b: Float32Array, channels: number): number {
  let n = 0;
  for (let p = 0; p < a.length; p += channels) {
    for (let c = 0; c < channels; c++) if (a[p + c] !== b[p + c]) { n++; break; }
  }
  return n / (a.length / channels);
}

describe('delta.layerOf', () => {
  beforeEach(async () => {
    await tf.setBackend('delta-cpu');
    delta.configure({inputThreshold: 0.1, threshold: 0.05, thresholds: {}, keyframeInterval: 300, debug: false});
    delta.reset();
  });
  afterAll(() => {
    delta.configure({inputThreshold: 0, threshold: 0});
    delta.reset();
  });

  it('names the stats row of an intermediate output; its changed pixels are the active pixels', async () => {
    const r = prng(7);
    const w1 = tf.tensor4d(randomArray(r, 3 * 3 * 3 * 8, 0.4), [3, 3, 3, 8]);
    const b1 = tf.tensor1d(randomArray(r, 8, 0.1));
    const w2 = tf.tensor4d(randomArray(r, 8 * 4, 0.4), [1, 1, 8, 4]);
    const [h, w] = [24, 20];
    let frame = randomArray(r, h * w * 3, 1);
    let prev: Float32Array | null = null;
    let deltaSteps = 0;
    for (let f = 0; f < 8; f++) {
      if (f > 0) {
        frame = frame.slice();
        const y0 = Math.floor(r() * (h - 4)), x0 = Math.floor(r() * (w - 4));   // one moving 4x4 blob
        for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) for (let c = 0; c < 3; c++) frame[(y * w + x) * 3 + c] = r() * 2 - 1;
      }
      const x = tf.tensor4d(frame, [1, h, w, 3]);
      const mid = tf.fused.conv2d({x, filter: w1, bias: b1, activation: 'relu6', strides: 1, pad: 'same'});
      const out = tf.conv2d(mid, w2 as tf.Tensor4D, 1, 'same');
      await out.data();
      const name = delta.layerOf(mid);
      expect(name).withContext(`frame ${f}`).toMatch(/^\d+:FusedConv2D$/);
      expect(delta.layerOf(out)).toMatch(/^\d+:Conv2D$/);
      expect(delta.layerOf(x)).toBeNull();            // the frame: made outside the delta graph
      const row = delta.stats().layers.find((l) => l.name === name)!;
      expect(row).toBeDefined();
      const values = (await mid.data()) as Float32Array;
      if (prev && row.mode === 'delta') {
        deltaSteps++;
        expect(row.activeFraction).withContext(`frame ${f}`).toBeGreaterThan(0);
        expect(row.activeFraction).withContext(`frame ${f}`).toBeLessThan(0.5);
        expect(changedPixels(values, prev, 8)).withContext(`frame ${f}`).toBeCloseTo(row.activeFraction, 10);
      }
      prev = values.slice();
      tf.dispose([x, mid, out]);
    }
    expect(deltaSteps).toBe(7);
    const fallback = tf.tidy(() => tf.cumsum(tf.ones([4, 4])));   // no delta kernel: a fallback
    expect(delta.layerOf(fallback)).toBeNull();
    tf.dispose([fallback, w1, b1, w2]);
  });

  it('explains itself when the active backend is not a delta backend', async () => {
    await tf.setBackend('cpu');
    const t = tf.zeros([1]);
    expect(() => delta.layerOf(t)).toThrowError(/layerOf\(\): the active backend is 'cpu', not a delta backend/);
    t.dispose();
    await tf.setBackend('delta-cpu');
  });
});
