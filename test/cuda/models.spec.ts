// Real models on real video on delta-cuda (5 models x 2 clips): every output of every frame against
// tfjs' dense 'cpu' backend on the same frames, in exact mode (all thresholds 0): relative difference
// <= 1e-3 of the output's largest magnitude (GPU float32 sums run in another order; centernet's TopK
// detections are compared as the sorted list of their scores, since near-equal scores may swap places).
// Then the same frames with a 2% input threshold: finite outputs, pose keypoints (posenet heatmap maxima)
// reported, no tensor leaked over the frames. Per model: the kernels that ran on the CPU.
// Frames: $DELTA_CUDA_MODEL_FRAMES (default 6) consecutive frames from frame 0. Results (figures per model
// and clip) go to $DELTA_CUDA_MODELS_OUT (JSON) when set. Skipped without a CUDA device.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {GraphModel} from '@tensorflow/tfjs-converter';
import * as delta from 'tfjs-backend-delta';
import {frameToInput, inputThreshold, loadModelFile, MODELS} from 'tfjs-backend-delta/cli';
import {existsSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Worker} from 'node:worker_threads';
import {clipFrames, modelFile} from './data';
import {needGpu, relDiff, useCuda} from './gpu';

const FRAMES = Number(process.env.DELTA_CUDA_MODEL_FRAMES || 6);
const TOL = 1e-3;
const CLIPS = ['vtest', 'pose_1'];
const results: Record<string, unknown>[] = [];

/** The dense cpu references of every model x clip, computed in parallel worker threads (one per pair). */
let references: Map<string, Promise<Float32Array[][]>> | null = null;
function reference(name: string, clip: string): Promise<Float32Array[][]> {
  if (!references) {
    references = new Map();
    const script = join(__dirname, 'models-reference-worker.js');
    for (const n of Object.keys(MODELS)) {
      if (!modelFile(n)) continue;
      for (const c of CLIPS) {
        references.set(`${n} ${c}`, new Promise((resolve, reject) => {
          if (!existsSync(script)) { reject(new Error(`${script} is missing`)); return; }
          const w = new Worker(script, {workerData: {name: n, clip: c, frames: FRAMES}});
          w.once('message', (m: {outputs?: Float32Array[][]; error?: string}) => {
            void w.terminate();
            if (m.outputs) resolve(m.outputs); else reject(new Error(`cpu reference ${n} ${c}: ${m.error}`));
          });
          w.once('error', reject);
        }));
      }
    }
    // Unhandled until a spec awaits it: keep Node from reporting a rejection early.
    for (const p of references.values()) p.catch(() => undefined);
  }
  return references.get(`${name} ${clip}`)!;
}

async function load(name: string): Promise<GraphModel> {
  const spec = MODELS[name];
  const resize = spec.signatureSize && (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
  return loadModelFile(modelFile(name)!, resize ? [spec.height, spec.width] : undefined);
}

async function runFrames(model: GraphModel, name: string, frames: Uint8Array[]): Promise<Float32Array[][]> {
  const spec = MODELS[name];
  const outs: Float32Array[][] = [];
  for (const f of frames) {
    const x = frameToInput(spec, f);
    const y = model.execute(x, spec.outputs) as tf.Tensor[];
    const ys = Array.isArray(y) ? y : [y];
    outs.push(await Promise.all(ys.map(async (t) => Float32Array.from(await t.data() as ArrayLike<number>))));
    tf.dispose([x, ...ys]);
  }
  return outs;
}

/** Sorted scores (column 4 of [1, 100, 6]) of centernet's detections. */
function scores(v: Float32Array): Float32Array {
  const s = new Float32Array(v.length / 6);
  for (let i = 0; i < s.length; i++) s[i] = v[i * 6 + 4];
  return s.sort();
}

describe('delta-cuda: real models on real video vs dense cpu', () => {
  beforeEach(() => needGpu());
  afterAll(async () => {
    if (process.env.DELTA_CUDA_MODELS_OUT) writeFileSync(process.env.DELTA_CUDA_MODELS_OUT, JSON.stringify(results, null, 1));
    await tf.setBackend('cpu');
  });

  for (const name of Object.keys(MODELS)) {
    for (const clip of CLIPS) {
      it(`${name} on ${clip}: exact mode matches cpu, 2% input threshold runs clean`, async () => {
        if (!modelFile(name)) pending(`model ${name} is not available`);
        const spec = MODELS[name];
        const frames = clipFrames(clip, spec.width, spec.height, spec.fit ?? 'stretch', 0, FRAMES);

        const ref = await reference(name, clip);

        const b = await useCuda();
        delta.reset();
        delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
        const model = await load(name);
        b.resetCpuFallbacks();
        const n0 = tf.memory().numTensors;
        const t0 = Date.now();
        const got = await runFrames(model, name, frames);
        const msExact = (Date.now() - t0) / frames.length;
        const worst: Record<string, number> = {};
        const problems: string[] = [];
        got.forEach((outs, f) => outs.forEach((v, o) => {
          const out = spec.outputs[o];
          const e = out === 'tower_0/detections' ? relDiff(scores(v), scores(ref[f][o])) : relDiff(v, ref[f][o]);
          worst[out] = Math.max(worst[out] ?? 0, e);
          if (!(e <= TOL)) problems.push(`frame ${f} ${out}: rel ${e.toExponential(2)}`);
        }));
        const cpuKernels = b.cpuFallbacks();
        const exactStats = delta.stats();

        delta.reset();
        delta.configure({inputThreshold: inputThreshold(spec)});
        const thr = await runFrames(model, name, frames);
        const st = delta.stats();
        delta.configure({inputThreshold: 0});
        let maxRelThr = 0, nonFinite = 0;
        thr.forEach((outs, f) => outs.forEach((v, o) => {
          for (const x of v) if (!Number.isFinite(x)) nonFinite++;
          if (spec.outputs[o] !== 'tower_0/detections') maxRelThr = Math.max(maxRelThr, relDiff(v, ref[f][o]));
        }));
        const leaked = tf.memory().numTensors - n0;
        model.dispose();
        delta.reset();
        results.push({model: name, clip, frames: FRAMES, worstRelExact: worst, msPerFrameExact: msExact, cpuKernels,
          exactModes: exactStats.totals, thresholdRun: {inputThreshold: inputThreshold(spec), maxRelVsCpu: maxRelThr,
            totals: st.totals, ceiling: st.totals.totalDenseMacs / Math.max(1, st.totals.totalPerformedMacs)}});
        console.log(`  ${name} ${clip}: worst rel ${JSON.stringify(worst)}; 2%: max rel ${maxRelThr.toExponential(2)}; ` +
            `cpu kernels ${JSON.stringify(cpuKernels)}; ${msExact.toFixed(1)} ms/frame`);
        expect(problems).toEqual([]);
        expect(nonFinite).toBe(0);
        expect(leaked).toBe(0);
      }, 10 * 60 * 1000);
    }
  }
});
