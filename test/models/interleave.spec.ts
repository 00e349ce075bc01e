/**
 * Two real graph models interleaved frame by frame on delta-cpu (one model's frame, then the other's)
 * both stay exact against the dense cpu backend, and both keep taking the delta path.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import * as delta from 'tfjs-backend-delta';
import {frameToInput, loadModel, MODELS} from '../util/models';
import {relErr} from '../util/prng';
import {decodeFrames, setupData} from '../util/video';

const PAIR = (process.env.PAIR ?? 'movenet-lightning,selfie').split(',');
const FRAMES = 4;

async function runAll(backend: string, inputs: Record<string, Uint8Array[]>): Promise<Record<string, Float32Array[][]>> {
  await tf.setBackend(backend);
  const models = await Promise.all(PAIR.map((m) => loadModel(m)));
  const out: Record<string, Float32Array[][]> = Object.fromEntries(PAIR.map((m) => [m, []]));
  const deltaLayers: Record<string, number[]> = Object.fromEntries(PAIR.map((m) => [m, []]));
  for (let f = 0; f < FRAMES; f++) {
    for (const [i, name] of PAIR.entries()) {
      const x = frameToInput(MODELS[name], inputs[name][f]);
      const y = models[i].execute(x);
      const ys = Array.isArray(y) ? y : [y];
      out[name].push(await Promise.all(ys.map(async (t) => (await t.data()) as Float32Array)));
      tf.dispose([x, ...ys]);
      if (backend === 'delta-cpu') deltaLayers[name].push(delta.stats().layers.filter((l) => l.mode === 'delta').length);
    }
  }
  models.forEach((m) => m.dispose());
  if (backend === 'delta-cpu') {
    for (const name of PAIR) {
      expect(deltaLayers[name][0]).withContext(`${name} frame 0`).toBe(0);
      for (let f = 1; f < FRAMES; f++) expect(deltaLayers[name][f]).withContext(`${name} frame ${f}`).toBeGreaterThan(10);
    }
  }
  return out;
}

describe('two real models interleaved frame by frame on delta-cpu', () => {
  it(`${PAIR.join(' + ')} on vtest.avi stay exact`, async () => {
    const clip = setupData().clips['vtest'];
    if (!clip) throw new Error('vtest.avi is not available (scripts/setup-data.mjs)');
    const inputs: Record<string, Uint8Array[]> = {};
    for (const name of PAIR) {
      const s = MODELS[name];
      inputs[name] = decodeFrames(clip, {start: 0, count: FRAMES, width: s.width, height: s.height, fit: s.fit}).frames;
    }
    delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
    delta.reset();
    const ref = await runAll('cpu', inputs);
    const got = await runAll('delta-cpu', inputs);
    for (const name of PAIR) {
      for (let f = 0; f < FRAMES; f++) {
        got[name][f].forEach((v, o) => {
          expect(relErr(v, ref[name][f][o])).withContext(`${name} frame ${f} output ${o}`).toBeLessThan(1e-4);
        });
      }
    }
  }, 600_000);  // per spec: the models spec beside it sets its own (longer) default
});
