// Browser page of test/browser/run.mjs: the real models on real video in headless Chromium, delta-webgpu
// in exact mode (all thresholds 0), on the frames Node decoded with ffmpeg (served as /frames/<model>/<clip>:
// RGB frames of the model's input size, fitted as the model expects). Per model and clip:
//  - every output of every frame within CPU_TOL relative (max|a-b| / max|ref|) of dense tfjs 'cpu' in the
//    same page (GPU vs CPU float: tfjs-webgpu itself is 8e-4 off cpu on blazepose's segmentation);
//  - the last frame (a delta step) within GPU_EXACT_TOL of the dense tfjs-webgpu kernels on the same frame,
//    computed on the same backend after delta.reset() (every layer then runs its dense kernel: checked),
//    which needs no second shader compilation (the expensive part on SwiftShader);
//  - the delta path taken after the first frame, tf.memory().numTensors flat, and no device error
//    (validation/internal/out-of-memory error scopes around every frame, plus uncaptured errors).
// The Node suite (test/webgpu) compares every frame with tfjs-webgpu at 1e-4; this page is scaled down for
// SwiftShader. The jobs come from the page's __DELTA_ENV__.DELTA_BROWSER_JOBS (JSON).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {loadGraphModel} from '@tensorflow/tfjs-converter';
import type {GraphModel} from '@tensorflow/tfjs-converter';
import 'tfjs-backend-delta/webgpu';
import * as delta from 'tfjs-backend-delta';
import {MODELS, ModelSpec} from '../../src/cli/catalog';
import {frameToInput, outputNames} from '../../src/cli/models';
import {relErr} from '../../src/cli/metrics';

const GPU_EXACT_TOL = 1e-4;
const CPU_TOL = 1e-3;
/**
 * Outputs made by TopK over a score map (CenterNet's detections: 100 rows x1,y1,x2,y2,score,class): on
 * the GPU, scores equal up to float rounding may come out in another order than on cpu, so the rows are
 * not comparable one by one. Their scores (column `score` of `width`) are compared as sorted lists
 * instead; the score map itself (tower_0/keypoints) is compared elementwise like every other output.
 */
const RANKED: Record<string, {width: number; score: number}> = {'tower_0/detections': {width: 6, score: 4}};

function compare(name: string, out: Float32Array, ref: Float32Array): number {
  const r = RANKED[name];
  if (!r) return relErr(out, ref);
  const scores = (v: Float32Array) => Float32Array.from({length: v.length / r.width}, (_, i) => v[i * r.width + r.score]).sort().reverse();
  return relErr(scores(out), scores(ref));
}
interface Job { model: string; clip: string; frames: number }
const JOBS: Job[] = JSON.parse(process.env.DELTA_BROWSER_JOBS || '[]');

jasmine.DEFAULT_TIMEOUT_INTERVAL = 20 * 60 * 1000;

async function fetchFrames(job: Job, spec: ModelSpec): Promise<Uint8Array[]> {
  const r = await fetch(`/frames/${job.model}/${job.clip}`);
  if (!r.ok) throw new Error(`frames of ${job.model}/${job.clip}: HTTP ${r.status}`);
  const all = new Uint8Array(await r.arrayBuffer());
  const size = spec.width * spec.height * 3;
  if (all.length !== size * job.frames) throw new Error(`frames of ${job.model}/${job.clip}: ${all.length} bytes, expected ${job.frames} x ${size}`);
  return Array.from({length: job.frames}, (_, f) => all.subarray(f * size, (f + 1) * size));
}

function load(spec: ModelSpec): Promise<GraphModel> {
  const resize = spec.signatureSize && (spec.signatureSize[0] !== spec.height || spec.signatureSize[1] !== spec.width);
  return loadGraphModel(`/models/${spec.name}/model.json${resize ? `?size=${spec.height}x${spec.width}` : ''}`);
}

async function runFrame(model: GraphModel, spec: ModelSpec, frame: Uint8Array): Promise<Float32Array[]> {
  const x = frameToInput(spec, frame);
  const y = model.execute(x);
  const ys = Array.isArray(y) ? y : [y as tf.Tensor];
  const vals = await Promise.all(ys.map(async (t) => Float32Array.from(await t.data() as ArrayLike<number>)));
  tf.dispose([x, ...ys]);
  return vals;
}

describe('real models on real video in Chromium (delta-webgpu exact mode vs cpu and dense webgpu)', () => {
  for (const job of JOBS) {
    it(`${job.model} on ${job.clip} (${job.frames} frames): matches cpu and dense webgpu, delta path, no leaks, no device errors`, async () => {
      const spec = MODELS[job.model];
      const frames = await fetchFrames(job, spec);
      const t0 = performance.now();
      await tf.setBackend('cpu');
      let model = await load(spec);
      const names = outputNames(model);
      const ref: Float32Array[][] = [];
      for (const fr of frames) ref.push(await runFrame(model, spec, fr));
      model.dispose();
      const tCpu = performance.now();

      expect(await tf.setBackend('delta-webgpu')).toBe(true);
      const device = (tf.backend() as unknown as {device: GPUDevice}).device;
      const uncaptured: string[] = [];
      const onError = (e: Event) => uncaptured.push(String((e as GPUUncapturedErrorEvent).error?.message ?? e));
      device.addEventListener('uncapturederror', onError);
      delta.configure({inputThreshold: 0, threshold: 0, thresholds: {}});
      delta.reset();
      model = await load(spec);
      const baseline = tf.memory().numTensors;
      const rel: number[][] = [], deviceErrors: string[] = [], numTensors: number[] = [], modes: string[] = [], ms: number[] = [];
      const scoped = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
        device.pushErrorScope('out-of-memory');
        device.pushErrorScope('internal');
        device.pushErrorScope('validation');
        const r = await fn();
        for (let i = 0; i < 3; i++) {
          const e = await device.popErrorScope();
          if (e) deviceErrors.push(`${what}: ${e.constructor.name}: ${e.message}`);
        }
        return r;
      };
      const modeCounts = () => {
        const layers = delta.stats().layers;
        const n = (m: string) => layers.filter((l) => l.mode === m).length;
        return {delta: n('delta'), dense: n('dense'), fallback: n('fallback'), all: layers.length};
      };
      let last: Float32Array[] = [], dense: Float32Array[] = [];
      let denseModes = {delta: 0, dense: 0, fallback: 0, all: 0};
      try {
        for (let f = 0; f < frames.length; f++) {
          const tf0 = performance.now();
          last = await scoped(`frame ${f}`, () => runFrame(model, spec, frames[f]));
          ms.push(performance.now() - tf0);
          numTensors.push(tf.memory().numTensors);
          rel.push(last.map((o, i) => compare(names[i], o, ref[f][i])));
          await delta.settleStats();
          const c = modeCounts();
          modes.push(`${c.delta} delta / ${c.dense} dense / ${c.fallback} fallback of ${c.all}`);
          if (f > 0) expect(c.delta).withContext(`frame ${f}: layers that ran their delta kernel (${modes[f]})`).toBeGreaterThan(0);
        }
        // The dense tfjs-webgpu result of the last frame: every slot re-seeds (runs its dense kernel).
        delta.reset();
        dense = await scoped('dense re-run', () => runFrame(model, spec, frames[frames.length - 1]));
        await delta.settleStats();
        denseModes = modeCounts();
      } finally {
        model.dispose();
        device.removeEventListener('uncapturederror', onError);
      }
      deviceErrors.push(...uncaptured.map((m) => `uncaptured: ${m}`));
      const relDense = last.map((o, i) => compare(names[i], o, dense[i]));
      const worst = Math.max(...rel.flat());
      console.log(`[page] models ${job.model}/${job.clip}: vs cpu worst ${worst.toExponential(2)} (tol ${CPU_TOL}), last frame vs dense webgpu ` +
        `${Math.max(...relDense).toExponential(2)} (tol ${GPU_EXACT_TOL}); cpu ${((tCpu - t0) / frames.length).toFixed(0)} ms/frame, ` +
        `delta-webgpu ${ms.map((v) => v.toFixed(0)).join(' / ')} ms; ${modes.join('; ')}`);
      expect(deviceErrors).withContext('device errors').toEqual([]);
      const over = rel.flatMap((r, f) => r.map((e, i) => ({frame: f, output: names[i], rel: e}))).filter((x) => !(x.rel <= CPU_TOL));
      expect(over).withContext(`outputs over ${CPU_TOL} relative to cpu (per frame ${JSON.stringify(rel.map((r) => r.map((e) => +e.toExponential(2))))})`).toEqual([]);
      expect(denseModes.delta).withContext(`the reference re-run after reset() ran dense (${JSON.stringify(denseModes)})`).toBe(0);
      const overDense = relDense.map((e, i) => ({output: names[i], rel: e})).filter((x) => !(x.rel <= GPU_EXACT_TOL));
      expect(overDense).withContext(`last frame: outputs over ${GPU_EXACT_TOL} relative to dense tfjs-webgpu`).toEqual([]);
      expect(numTensors.filter((n) => n !== baseline)).withContext(`numTensors per frame (baseline ${baseline}): ${numTensors}`).toEqual([]);
    });
  }
});
