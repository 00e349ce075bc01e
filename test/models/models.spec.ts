// End-to-end acceptance test: real tfjs graph models on real video, delta-cpu against dense cpu.
//
// For each model (posenet, movenet-lightning, blazepose-lite, centernet, selfie) and each clip
// (vtest.avi, pose_1.mp4), on N consecutive frames:
//  - dense 'cpu' is the reference (all outputs of every frame);
//  - 'delta-cpu' in exact mode (thresholds 0) must match it within 1e-4 relative (max|a-b| / max|ref|,
//    per output per frame) and take the delta path after the first frame;
//  - 'delta-cpu' with an input threshold of 2% of the input range: per-layer active fraction and MAC
//    ratio are reported; MoveNet on pose_1 must stay within a median of 2 px of the dense keypoints;
//  - tf.memory().numTensors is flat across frames on delta-cpu.
// Results: a table on stdout and build/results/models.json.
//
// Environment: DELTA_FULL=1 (20 frames instead of 5), DELTA_FRAMES=n, DELTA_START=n (first frame),
// DELTA_JOBS=1|2 (clips in parallel worker threads; default min(2, cores)), DELTA_MODELS / DELTA_CLIPS
// (regexes selecting models / clips), DELTA_INNER_THRESHOLD (threshold of the 2% run; default 0),
// DELTA_EXPLICIT_FRAMES=1 (wrap execute in delta.frame()).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import * as delta from 'tfjs-backend-delta';
import {mkdirSync, writeFileSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {join} from 'node:path';
import {ClipJob, EXACT_TOLERANCE, ModelClipResult, runClip, runClipInWorker} from '../util/model-run';
import {MODELS} from '../util/models';
import {repoRoot, setupData} from '../util/video';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 60 * 60 * 1000;

const FULL = process.env.DELTA_FULL === '1';
const FRAMES = Number(process.env.DELTA_FRAMES || (FULL ? 20 : 5));
const START = Number(process.env.DELTA_START || 0);
const JOBS = Number(process.env.DELTA_JOBS || Math.min(2, availableParallelism()));
const INNER = Number(process.env.DELTA_INNER_THRESHOLD || 0);
const EXPLICIT = process.env.DELTA_EXPLICIT_FRAMES === '1';
const modelFilter = process.env.DELTA_MODELS ? new RegExp(process.env.DELTA_MODELS) : null;
const clipFilter = process.env.DELTA_CLIPS ? new RegExp(process.env.DELTA_CLIPS) : null;
const MODEL_NAMES = Object.keys(MODELS).filter((m) => !modelFilter || modelFilter.test(m));
const CLIP_NAMES = ['vtest', 'pose_1'].filter((c) => !clipFilter || clipFilter.test(c));

const EXACT_TOL = EXACT_TOLERANCE;  // max|a-b| / max(max|ref|, 1e-6), per output tensor per frame, every output
const KEYPOINT_TOL_PX = 2;      // MoveNet on pose_1, 2% input threshold: median deviation from dense

const apiPresent = typeof (delta as {configure?: unknown}).configure === 'function';

describe('real models on real video (delta-cpu vs cpu)', () => {
  const jobs = new Map<string, Promise<ModelClipResult[]>>();
  const available = new Map<string, boolean>();
  const t0 = Date.now();

  beforeAll(() => {
    const data = setupData();
    console.log(`[models] ${MODEL_NAMES.length} models x clips ${CLIP_NAMES.join(', ')}, ${FRAMES} frames from ${START}, ` +
      `${JOBS > 1 ? `${JOBS} worker threads` : 'inline'}; tfjs-core ${tf.version_core}; delta API ${apiPresent ? 'present' : 'MISSING'}`);
    let chain: Promise<unknown> = Promise.resolve();
    for (const clip of CLIP_NAMES) {
      available.set(clip, Boolean(data.clips[clip]) && Boolean(data.ffmpeg));
      if (!available.get(clip)) continue;
      const job: ClipJob = {clip, models: MODEL_NAMES, start: START, frames: FRAMES, innerThreshold: INNER, explicitFrames: EXPLICIT};
      let p: Promise<ModelClipResult[]>;
      if (JOBS > 1) {
        p = runClipInWorker(job);
      } else {
        p = chain.then(() => runClip(job));
        chain = p.catch(() => undefined);
      }
      p.catch(() => undefined);    // awaited (and reported) by the specs
      jobs.set(clip, p);
    }
  }, 15 * 60 * 1000);

  async function result(model: string, clip: string): Promise<ModelClipResult | null> {
    if (!available.get(clip)) return null;
    const all = await jobs.get(clip)!;
    return all.find((r) => r.model === model) ?? null;
  }

  for (const clip of CLIP_NAMES) {
    for (const model of MODEL_NAMES) {
      it(`${model} on ${clip}: delta-cpu exact mode matches cpu on every frame, takes the delta path, no leaks`, async () => {
        const r = await result(model, clip);
        if (!r) { pending(`${clip} is not available (see scripts/setup-data.mjs)`); return; }
        expect(r.refError).withContext(`dense cpu reference failed: ${r.refError?.stack}`).toBeNull();
        const e = r.exact!;
        if (!e) return;
        expect(e.error).withContext(`delta-cpu exact mode threw at frame ${e.error?.frame}: ${e.error?.stack}`).toBeNull();
        expect(e.relPerFrame.length).withContext('frames run').toBe(r.frames);
        expect(e.failures).withContext(`outputs over tolerance (frame, output, rel, tol); worst per output ` +
          `${JSON.stringify(e.worstRelPerOutput)}; per frame ${JSON.stringify(e.relPerFrame)}; cpu's own rounding ` +
          `sensitivity ${JSON.stringify(r.cpuNoise)}`).toEqual([]);
        expect(e.numTensors.perFrame.filter((n) => n !== e.numTensors.baseline))
            .withContext(`numTensors after each frame (baseline ${e.numTensors.baseline}): ${e.numTensors.perFrame}`).toEqual([]);
        if (e.apiMissing) {
          console.warn(`[models] delta API missing: ${model}/${clip} exact run compared the plain delta-cpu copy only`);
          return;
        }
        const noDelta = e.deltaLayersPerFrame.map((n, f) => [f, n]).filter(([f, n]) => f > 0 && !(n > 0)).map(([f]) => f);
        expect(noDelta).withContext(`frames (after the first) where no layer ran its delta kernel; delta layers per frame ` +
          `${JSON.stringify(e.deltaLayersPerFrame)} of ${JSON.stringify(e.layersPerFrame)}`).toEqual([]);
      });

      it(`${model} on ${clip}: delta-cpu with a 2% input threshold: sparse updates, no leaks` +
          (model.startsWith('movenet') && clip === 'pose_1' ? `, keypoints within ${KEYPOINT_TOL_PX} px (median) of dense` : ''), async () => {
        const r = await result(model, clip);
        if (!r) { pending(`${clip} is not available (see scripts/setup-data.mjs)`); return; }
        if (!r.threshold || r.threshold.apiMissing) { pending('delta API (configure/stats) not exported yet'); return; }
        const t = r.threshold;
        expect(t.error).withContext(`delta-cpu (inputThreshold ${t.inputThreshold}) threw at frame ${t.error?.frame}: ${t.error?.stack}`).toBeNull();
        expect(t.msPerFrame.length).withContext('frames run').toBe(r.frames);
        expect(t.numTensors.perFrame.filter((n) => n !== t.numTensors.baseline))
            .withContext(`numTensors after each frame (baseline ${t.numTensors.baseline}): ${t.numTensors.perFrame}`).toEqual([]);
        expect(t.perFrame.filter((p) => !(p.deltaLayers > 0)).map((p) => p.frame))
            .withContext('frames (after the first) where no layer ran its delta kernel').toEqual([]);
        expect(Number.isFinite(t.meanActive)).withContext(`mean active fraction ${t.meanActive}`).toBeTrue();
        if (model.startsWith('movenet') && clip === 'pose_1') {
          expect(t.keypointDevPx).withContext('keypoint deviation computed').not.toBeNull();
          if (t.keypointDevPx) {
            expect(t.keypointDevPx.median).withContext(`median keypoint deviation from dense (px of 576x576), ` +
              `per frame ${JSON.stringify(t.keypointDevPx.perFrame.map((v) => +v.toFixed(2)))}`).not.toBeGreaterThan(KEYPOINT_TOL_PX);
          }
        }
      });
    }
  }

  afterAll(async () => {
    const results: ModelClipResult[] = [];
    for (const p of jobs.values()) {
      try { results.push(...await p); } catch (e) { console.error(`[models] job failed: ${(e as Error)?.stack ?? e}`); }
    }
    const seconds = (Date.now() - t0) / 1000;
    const fmt = (v: number | undefined | null, d = 3) => (v == null || Number.isNaN(v) ? '-' : (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(d)));
    const rows = results.map((r) => ({
      model: r.model, clip: r.clip, frames: r.frames,
      worstRelExact: r.exact?.error ? `ERR@${r.exact.error.frame}` : fmt(r.exact?.worstRel) + (r.exact?.failures.length ? ' FAIL' : ''),
      cpuNoise: r.cpuNoise ? fmt(Math.max(...Object.values(r.cpuNoise))) : '',
      inputThreshold: r.threshold ? +r.threshold.inputThreshold.toPrecision(6) : null,
      meanActive: r.threshold?.error ? `ERR@${r.threshold.error.frame}` : fmt(r.threshold?.meanActive),
      macRatio: fmt(r.threshold?.macRatio, 2),
      kpDevPx: r.threshold?.keypointDevPx ? fmt(r.threshold.keypointDevPx.median, 2) : '',
      kpVsGoldenPx: r.referenceDevPx ? fmt(r.referenceDevPx.median, 2) : '',
      msCpu: Math.round(avg(r.refMsPerFrame)),
      msExact: Math.round(avg(r.exact?.msPerFrame ?? [])),
      msThresh: Math.round(avg(r.threshold?.msPerFrame ?? [])),
      seconds: +r.seconds.toFixed(1),
    }));
    console.log(`\n[models] results (${seconds.toFixed(0)} s; worstRelExact: max|delta-cpu - cpu| / max|cpu| over outputs and ` +
      `frames, exact mode; cpuNoise: the same measure between dense cpu runs of frame 0 and of frame 0 perturbed by 1 ulp ` +
      `(the model's own rounding sensitivity); meanActive / macRatio: 2% input threshold, frames after the first; kpDevPx: MoveNet median ` +
      `keypoint deviation from dense, px of the source frame; kpVsGoldenPx: dense MoveNet vs pose_1.json)`);
    printTable(rows);
    const dir = join(repoRoot(), 'build', 'results');
    mkdirSync(dir, {recursive: true});
    writeFileSync(join(dir, 'models.json'), JSON.stringify({
      date: new Date().toISOString(), seconds,
      config: {frames: FRAMES, start: START, jobs: JOBS, innerThreshold: INNER, explicitFrames: EXPLICIT, exactTolerance: EXACT_TOL,
        keypointTolerancePx: KEYPOINT_TOL_PX, deltaApi: apiPresent},
      models: Object.fromEntries(MODEL_NAMES.map((m) => [m, MODELS[m]])),
      rows, results,
    }, null, 1));
    console.log(`[models] wrote ${join(dir, 'models.json')}`);
  }, 15 * 60 * 1000);
});

function avg(v: number[]): number { return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN; }

function printTable(rows: Array<Record<string, unknown>>) {
  if (!rows.length) { console.log('(no results)'); return; }
  const keys = Object.keys(rows[0]);
  const cells = rows.map((r) => keys.map((k) => String(r[k] ?? '')));
  const w = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(w[i])).join('  ');
  console.log(line(keys));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const c of cells) console.log(line(c));
}
