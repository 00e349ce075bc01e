#!/usr/bin/env node
/**
 * Drift over long runs (issue 6) on a delta backend (--backend delta-cpu | delta-webgpu | delta-cuda;
 * delta-webgpu in Node on Dawn's adapter $DELTA_WEBGPU_ADAPTER, default lavapipe): a model on a clip played in a loop for --total
 * consecutive frames, no keyframes, compared with the dense output of the same clip frame on every
 * frame; at threshold 0 (exact mode) and at thresholds > 0. Writes <out>/<name>.json and .svg
 * (error vs frame index).
 *
 *   npm run build && nice -n 10 node benchmarks/drift/drift.cjs --model posenet --size 65x65 --video vtest \
 *     --clip 0,200 --total 5000 --out benchmarks/results/drift
 * --frames PACK[,PACK]: frames from pre-decoded packs of the model's input size instead of ffmpeg.
 */
const {mkdirSync, writeFileSync} = require('node:fs');
const {join} = require('node:path');
// Static paths, so that esbuild can bundle this script for the GPU machine (scripts/calibration/pack.mjs).
require('../../dist/cjs/cpu/register.js');
const {resolveModel} = require('../../dist/cjs/cli/models.js');
const {decodeFrames} = require('../../dist/cjs/cli/video.js');
const {resolveVideo} = require('../../dist/cjs/cli/paths.js');
const {lineChart, PALETTE} = require('../../dist/cjs/cli/svg.js');
const {denseReference, measureDrift} = require('../../dist/cjs/cli/drift.js');
const {decodePack, framesFromPacks} = require('../calibration/frames.cjs');

/** Registers the backend to measure; delta-webgpu needs Dawn in Node. */
function loadBackend(name) {
  if (name === 'delta-cpu') return;
  if (name === 'delta-webgpu') {
    const w = require('../../dist/cjs/webgpu/register.js');
    const r = w.installNodeWebGPU(process.env.DELTA_WEBGPU_ADAPTER || 'lavapipe');
    if (!r.ok) throw new Error(`delta-webgpu is not available: ${r.why}`);
    return;
  }
  if (name === 'delta-cuda') return void require('../../dist/cjs/cuda/register.js');
  throw new Error(`--backend: unknown delta backend '${name}' (delta-cpu, delta-webgpu, delta-cuda)`);
}

(async () => {
  const a = {model: 'posenet', video: 'vtest', clip: '0,200', total: '5000', out: 'benchmarks/results/drift', q: '0.02'};
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) a[v[i].replace(/^--/, '')] = v[i + 1];
  const t0 = Date.now();
  const backend = a.backend ?? 'delta-cpu';
  loadBackend(backend);
  const r = resolveModel(a.model, {size: a.size ? a.size.split('x').map(Number) : undefined});
  const spec = r.spec;
  const [c0, c1] = a.clip.split(',').map(Number);
  // --frames PACK[,PACK]: pre-decoded frames (benchmarks/calibration/frames.cjs) on machines without ffmpeg
  const frames = a.frames
    ? framesFromPacks(a.frames.split(',').map((f) => decodePack(f)), c0, c1 - c0)
    : decodeFrames(resolveVideo(a.video), {start: c0, count: c1 - c0, width: spec.width, height: spec.height, fit: spec.fit}).frames;
  const total = Number(a.total), q = Number(a.q);
  const span = spec.range[1] - spec.range[0];
  const job = {spec, file: r.file, inputSizeRewrite: r.inputSizeRewrite, frames, total, backend};
  const dense = await denseReference(job);
  const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}\n`);
  log(`dense reference of ${frames.length} clip frames done`);
  const exact = {name: 'exact (all thresholds 0), no keyframes', config: {inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 0, keyframeErrorBound: 0}};
  const thresholded = {name: `thresholds > 0 (input ${q} x range, activations ${q * 5}), no keyframes`,
    config: {inputThreshold: q * span, threshold: q * 5, thresholds: {}, keyframeInterval: 0, keyframeErrorBound: 0}};
  // --runs exact,thresholds (default both): which of the two base runs to do.
  const which = (a.runs ?? 'exact,thresholds').split(',');
  const runs = [...(which.includes('exact') ? [exact] : []), ...(which.includes('thresholds') ? [thresholded] : [])];
  if (a.keyframes) {
    for (const k of a.keyframes.split(',').map(Number)) {
      runs.push({name: `thresholds > 0, keyframe every ${k}`, config: {...thresholded.config, keyframeInterval: k}});
    }
  }
  if (a.bounds) {
    for (const b of a.bounds.split(',').map(Number)) {
      runs.push({name: `thresholds > 0, keyframe when errorEstimate > ${b}`, config: {...thresholded.config, keyframeErrorBound: b}});
    }
  }
  const results = [];
  for (const run of runs) {
    const res = await measureDrift({...job, config: run.config, onFrame: (row) => {
      if (row.frame % 500 === 0) log(`  ${run.name}: frame ${row.frame}, maxRel ${row.maxRel.toExponential(2)}, estimate ${row.errorEstimate.toFixed(3)}`);
    }}, dense);
    log(`${run.name}: worst maxRel ${res.worstMaxRel.toExponential(3)}, keyframes ${res.keyframes}, ${res.seconds.toFixed(0)} s; ` +
        `per loop mean maxRel ${res.loops.map((l) => l.meanMaxRel.toExponential(2)).join(' ')}`);
    results.push({...run, ...res});
  }
  mkdirSync(a.out, {recursive: true});
  const name = a.name ?? `${spec.name}-${spec.width}-${a.video}-${total}`;
  const summary = {
    model: spec.name, size: `${spec.width}x${spec.height}`, clip: `${a.video} frames ${c0}-${c1 - 1}, looped`, total, backend,
    date: new Date().toISOString(), command: `node benchmarks/drift/drift.cjs ${v.join(' ')}`,
    runs: results.map((x) => ({name: x.name, config: x.config, worstMaxRel: x.worstMaxRel, keyframes: x.keyframes, seconds: x.seconds, loops: x.loops,
      // Per frame, compactly: maxRel, errorEstimate, keyframe flag.
      maxRel: x.rows.map((row) => +row.maxRel.toPrecision(4)), errorEstimate: x.rows.map((row) => +row.errorEstimate.toFixed(4)),
      keyframeAt: x.rows.filter((row) => row.keyframe).map((row) => row.frame),
      macRatio: (() => { const p = x.rows.slice(1); const d = p.reduce((s, row) => s + row.denseMacs, 0), m = p.reduce((s, row) => s + row.performedMacs, 0); return m ? d / m : 1; })()})),
  };
  writeFileSync(join(a.out, `${name}.json`), JSON.stringify(summary) + '\n');
  // Error vs frame index: a moving maximum over 25 frames keeps the SVG small and shows the envelope.
  const env = (rows) => { const pts = []; for (let i = 0; i < rows.length; i += 25) pts.push([i, Math.max(...rows.slice(i, i + 25).map((row) => row.maxRel))]); return pts; };
  writeFileSync(join(a.out, `${name}.svg`), lineChart({
    title: `${spec.name} ${spec.width}x${spec.height}: error vs frame index, ${total} consecutive frames (clip of ${frames.length} looped)`,
    subtitle: `${backend} vs dense cpu on the same clip frame; max over each 25 frames of max|delta-dense|/max|dense| (worst output)`,
    xLabel: 'frame', yLabel: 'max relative error', series: results.map((x, i) => ({name: x.name, color: PALETTE[i % PALETTE.length], points: env(x.rows)})),
  }));
  log(`wrote ${join(a.out, name)}.json/.svg`);
})().catch((e) => { console.error(e); process.exit(1); });
