/**
 * Minimal regressions of bugs found by the fuzzer and the hostile-input specs (each names the fuzz seed
 * or spec that found it; replay a seed with `npm run fuzz -- --seed S --cases 1`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as delta from 'tfjs-backend-delta';
import {testBackends} from '../fuzz/backends';
import {sceneFrame, SmallNet, take} from './nets';

for (const backend of testBackends()) {
  describe(`regressions on ${backend}`, () => {
    beforeEach(async () => {
      if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
      delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 300, debug: false});
      delta.reset();
    });

    // Fuzz seeds 147, 247, ... (303 of seeds 1..10000: every case with automatic frames whose second frame
    // passes the same tensor object again; `npm run fuzz -- --seed 147 --cases 1`): the second run was
    // taken for a repeat inside frame 0, so it ran dense in new slots; with no new tensor ever (a static
    // input), every run piles onto frame 0 (dense, one more set of slots per run); once a new tensor
    // comes, the learned frame length (2 runs) merges later same-tensor frames too.
    it('automatic frames: the same input tensor passed again on the second frame is a new frame (fuzz seed 147)', async () => {
      const x = tf.tensor2d([[0.1, -0.4, 0.7, 0.2]]);
      for (let f = 0; f < 4; f++) {
        const y = tf.tanh(x);
        y.dispose();
        const st = delta.stats();
        expect(st.frame).withContext(`run ${f}`).toBe(f);
        expect(st.layers.length).withContext(`run ${f}: slots of this frame`).toBe(1);
        if (f > 0) {
          expect(st.layers[0].mode).withContext(`run ${f}`).toBe('delta');
          expect(st.layers[0].performedMacs).withContext(`run ${f}: nothing changed`).toBe(0);
        }
      }
      expect(delta.memory().slots).toBe(1);
      x.dispose();
    });

    it('automatic frames: a net run again on the same input tensor is the next frame, with no new slots', async () => {
      const net = SmallNet.random(41).load();
      const x = tf.tensor4d(sceneFrame(42, 0, {h: 12, w: 12}), [1, 12, 12, 3]);
      const slots: number[] = [];
      for (let f = 0; f < 4; f++) {
        await take(net.run(x));
        expect(delta.stats().frame).withContext(`run ${f}`).toBe(f);
        slots.push(delta.memory().slots);
      }
      expect(slots).toEqual([slots[0], slots[0], slots[0], slots[0]]);
      expect(delta.stats().totals.performedMacs).toBe(0);
      x.dispose();
      net.dispose();
    });
  });
}
