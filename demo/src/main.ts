/**
 * The demo page: picks the backends (WebGPU if there is an adapter, else the CPU pair on request), a
 * frame source and a model, runs dense and/or delta on every frame and shows what they measured.
 * window.__demo is a snapshot of the numbers on screen, for the Playwright test (test/demo/demo.mjs).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import 'tfjs-backend-delta/cpu';
import 'tfjs-backend-delta/webgpu';
import * as delta from 'tfjs-backend-delta';
import type {DeltaStats} from 'tfjs-backend-delta';
import {BarHit, COLORS, drawBars, drawFrame, drawMap, drawSkeleton} from './draw';
import {decodeClip, fitFrame, Frame, FrameSource, openWebcam} from './frames';
import {DEMO_MODELS, DemoModel} from './models';
import {LayerChoice, Side, SideResult, SideRunner} from './runner';

type Mode = 'dense' | 'delta' | 'both';
interface Backends { kind: 'webgpu' | 'cpu'; dense: string; delta: string }
interface Index {
  models: Record<string, {available: boolean; why?: string}>;
  clips: Array<{name: string; url: string; label: string; fps: number; frames: number}>;
}

const params = new URLSearchParams(location.search);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (f: number | null | undefined, digits = 1) => (f === null || f === undefined ? '-' : `${(f * 100).toFixed(digits)}%`);

const snapshot = {
  ready: false, backendKind: null as string | null, model: '', source: '', mode: 'both' as Mode, frames: 0,
  fps: {dense: null as number | null, delta: null as number | null},
  ms: {dense: null as number | null, delta: null as number | null},
  keypoints: {dense: null as Array<{x: number; y: number; score: number}> | null, delta: null as Array<{x: number; y: number; score: number}> | null},
  /** Per frame of the delta side: input mask share, mean active share of delta layers, layer map vs stats. */
  history: [] as Array<{frame: number; clipFrame: number; inputChanged: number | null; activeMean: number | null;
    layer: string | null; layerChanged: number | null; layerStats: number | null; layerMode: string | null; threshold: number}>,
  layers: [] as LayerChoice[],
  layerNode: null as string | null,
  errors: [] as string[],
  status: '',
};
(window as unknown as {__demo: typeof snapshot}).__demo = snapshot;

let index: Index;
let backends: Backends | null = null;
let runners: Record<Side, SideRunner> | null = null;
let source: FrameSource | null = null;
let model: DemoModel = DEMO_MODELS[0];
let mode: Mode = 'both';
let layerNode: string | null = null;
let needLayers = true;
let running = false;
let loop: Promise<void> | null = null;
let lastStats: DeltaStats | null = null;
let bars: BarHit[] = [];
const fitCanvas = new OffscreenCanvas(1, 1);

function status(msg: string) {
  snapshot.status = msg;
  $('status').textContent = msg;
}

function fail(e: unknown) {
  const msg = e instanceof Error ? `${e.message}` : String(e);
  snapshot.errors.push(msg);
  const box = $('error');
  box.hidden = false;
  box.textContent = `Error: ${msg}`;
  console.error(e);
}
window.addEventListener('error', (e) => fail(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => fail(e.reason));

/** WebGPU is usable when there is an adapter; the reason when not. */
async function webgpuProblem(): Promise<string | null> {
  if (!('gpu' in navigator)) return 'navigator.gpu is missing';
  try {
    const adapter = await navigator.gpu.requestAdapter();
    return adapter ? null : 'navigator.gpu.requestAdapter() returned no adapter';
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
}

/** Input size: ?size=N for fully convolutional models (PoseNet: 16k+1), else the model's (CPU: smaller). */
function sizeFor(m: DemoModel): number {
  const asked = Number(params.get('size'));
  const rule = m.spec.sizeRule;
  if (asked && rule) {
    if ((asked - rule.offset) % rule.step !== 0 || asked <= rule.offset) {
      throw new Error(`?size=${asked}: ${m.name} takes sizes ${rule.step}k+${rule.offset} (e.g. 129, 161, 257)`);
    }
    return asked;
  }
  return backends?.kind === 'cpu' ? m.cpuSize : m.spec.width;
}

function fillSelects() {
  const models = $<HTMLSelectElement>('model');
  models.innerHTML = '';
  for (const m of DEMO_MODELS) {
    const info = index.models[m.name];
    const o = new Option(info?.available ? m.label : `${m.label} (not available)`, m.name);
    o.disabled = !info?.available;
    if (!info?.available) o.title = info?.why ?? 'not prepared';
    models.add(o);
  }
  const want = params.get('model');
  // PoseNet first: the model of the benchmarks (and the fastest to first frame on a software adapter).
  model = DEMO_MODELS.find((m) => m.name === (want ?? 'posenet') && index.models[m.name]?.available) ??
      DEMO_MODELS.find((m) => index.models[m.name]?.available) ?? DEMO_MODELS[0];
  models.value = model.name;
  const sources = $<HTMLSelectElement>('source');
  sources.innerHTML = '';
  for (const c of index.clips) sources.add(new Option(c.label, c.name));
  sources.add(new Option('webcam', 'webcam'));
  sources.value = index.clips.some((c) => c.name === params.get('clip')) ? params.get('clip')! : index.clips[0].name;
}

async function stop() {
  running = false;
  if (loop) await loop;
  loop = null;
  $('start').textContent = 'Start';
}

/** (Re)loads the model on both backends and opens the source; state of the previous model is dropped. */
async function setup() {
  await stop();
  runners?.dense.dispose();
  runners?.delta.dispose();
  runners = null;
  source?.stop();
  source = null;
  const size = sizeFor(model);
  status(`loading ${model.name} (${size}x${size}) on ${backends!.dense} and ${backends!.delta} …`);
  const dense = await SideRunner.create('dense', backends!.dense, model, size);
  const deltaSide = await SideRunner.create('delta', backends!.delta, model, size);
  delta.reset();
  runners = {dense, delta: deltaSide};
  needLayers = true;
  layerNode = null;
  lastStats = null;
  snapshot.history = [];
  snapshot.fps = {dense: null, delta: null};
  snapshot.ms = {dense: null, delta: null};
  const sourceName = $<HTMLSelectElement>('source').value;
  if (sourceName === 'webcam') {
    status('opening the webcam …');
    source = await openWebcam();
  } else {
    const clip = index.clips.find((c) => c.name === sourceName)!;
    source = await decodeClip(clip.url, clip.fps, clip.frames, (n) => status(`decoding ${clip.name}: ${n} of ${clip.frames} frames`));
  }
  snapshot.model = model.name;
  snapshot.source = sourceName;
  $('backend-dense').textContent = backends!.dense;
  $('backend-delta').textContent = backends!.delta;
  status(`${model.name} ${size}x${size}, ${source.label}; dense = ${backends!.dense}, delta = ${backends!.delta}`);
}

function start() {
  if (running || !runners || !source) return;
  running = true;
  $('start').textContent = 'Pause';
  loop = runLoop().catch((e) => { running = false; $('start').textContent = 'Start'; fail(e); });
}

async function runLoop() {
  while (running) {
    const frame = source!.next();
    const {rgb, g} = fitFrame(frame, runners!.delta.size, model.spec.fit, fitCanvas);
    const results: Partial<Record<Side, SideResult>> = {};
    const first = snapshot.frames === 0;
    if (first) status(`first frame: ${backends!.dense} compiles its pipelines …`);
    if (mode !== 'delta') results.dense = await runners!.dense.run(rgb, g, layerNode);
    if (mode !== 'dense') {
      if (first) status(`first frame: ${backends!.delta} compiles its pipelines, seeds every layer …`);
      results.delta = await runners!.delta.run(rgb, g, layerNode, needLayers);
      if (first) status('first frame: reading the delta statistics …');
      if (needLayers) {
        needLayers = false;
        chooseLayers(runners!.delta.layers);
      }
      await delta.settleStats();   // delta-webgpu counts on the GPU: wait for this frame's counters
      lastStats = delta.stats();
    }
    render(frame, g, results);
    if (first) status(`${model.name} ${runners!.delta.size}x${runners!.delta.size}, ${source!.label}; dense = ${backends!.dense}, delta = ${backends!.delta}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}

function chooseLayers(choices: LayerChoice[]) {
  snapshot.layers = choices;
  const sel = $<HTMLSelectElement>('layer');
  sel.innerHTML = '';
  for (const c of choices) {
    const [, h, w, ch] = c.shape;
    sel.add(new Option(`${c.layer} ${h}x${w}x${ch}  ${c.node.replace(/^StatefulPartitionedCall\//, '').slice(0, 48)}`, c.node));
  }
  const size = runners!.delta.size;
  const wanted = choices.find((c) => c.node === params.get('layer')) ?? choices.find((c) => c.shape[1] <= size / 4) ?? choices[0];
  layerNode = wanted?.node ?? null;
  snapshot.layerNode = layerNode;
  if (layerNode) sel.value = layerNode;
}

function render(frame: Frame, g: import('../../src/cli/video').FrameGeometry, r: Partial<Record<Side, SideResult>>) {
  const view = $<HTMLCanvasElement>('view');
  const aspect = frame.height / frame.width;
  for (const c of [view, $<HTMLCanvasElement>('layer-view')]) {
    const h = Math.round(c.width * aspect);
    if (c.height !== h) c.height = h;
  }
  const ctx = view.getContext('2d')!;
  drawFrame(ctx, frame);
  const mapSide = r.delta ?? r.dense;
  if ($<HTMLInputElement>('show-mask').checked && mapSide?.inputMap) drawMap(ctx, mapSide.inputMap, g, frame, COLORS.input, 0.5);
  if (r.dense) drawSkeleton(ctx, r.dense.keypoints, frame, COLORS.dense, 4);
  if (r.delta) drawSkeleton(ctx, r.delta.keypoints, frame, COLORS.delta, 2);

  const lctx = $<HTMLCanvasElement>('layer-view').getContext('2d')!;
  drawFrame(lctx, frame, 0.45);
  if (mapSide?.layerMap) drawMap(lctx, mapSide.layerMap, g, frame, COLORS.layer, 0.8);

  for (const side of ['dense', 'delta'] as Side[]) {
    const med = runners![side].medianMs();
    snapshot.ms[side] = med;
    snapshot.fps[side] = med ? 1000 / med : null;
    $(`fps-${side}`).textContent = med ? (1000 / med).toFixed(2) : '-';
    $(`ms-${side}`).textContent = med ? `${med.toFixed(0)} ms median${r[side] ? '' : ' (paused)'}` : '';
    if (r[side]) snapshot.keypoints[side] = r[side]!.keypoints.map((k) => ({x: k.x, y: k.y, score: k.score}));
  }
  const md = snapshot.ms.dense, mx = snapshot.ms.delta;
  $('speedup').textContent = md && mx ? `delta ${(md / mx).toFixed(2)}x the dense speed (median ms, same frames, same machine)` : '';

  const layers = lastStats?.layers ?? [];
  const deltaLayers = layers.filter((l) => l.mode === 'delta');
  const activeMean = deltaLayers.length ? deltaLayers.reduce((s, l) => s + l.activeFraction, 0) / deltaLayers.length : null;
  const t = lastStats?.totals;
  $('active-mean').textContent = r.delta ? pct(activeMean) : '-';
  $('macs').textContent = r.delta && t && t.denseMacs ? `${pct(t.performedMacs / t.denseMacs)} of dense (${(t.denseMacs / Math.max(1, t.performedMacs)).toFixed(2)}x fewer)` : '-';
  $('input-changed').textContent = r.delta ? pct(r.delta.inputMap?.fraction) : '-';
  $('frame').textContent = `${snapshot.frames} (clip frame ${frame.index})`;

  const choice = snapshot.layers.find((c) => c.node === layerNode);
  const row = choice ? layers.find((l) => l.name === choice.layer) : undefined;
  $('layer-changed').textContent = pct(mapSide?.layerMap?.fraction);
  $('layer-detail').textContent = row
    ? `delta.stats(): ${row.name} ${row.mode}, activeFraction ${pct(row.activeFraction)}` +
      (r.dense?.layerMap && r.delta ? `; dense backend: ${pct(r.dense.layerMap.fraction)} of this layer's pixels changed` : '')
    : '';
  bars = drawBars($<HTMLCanvasElement>('bars'), layers, choice?.layer ?? null, !r.delta);
  if (r.delta) {
    snapshot.history.push({frame: snapshot.frames, clipFrame: frame.index, inputChanged: r.delta.inputMap?.fraction ?? null, activeMean,
      layer: choice?.layer ?? null, layerChanged: r.delta.layerMap?.fraction ?? null, layerStats: row?.activeFraction ?? null,
      layerMode: row?.mode ?? null, threshold: delta.getConfig().inputThreshold});
  }
  snapshot.mode = mode;
  snapshot.frames++;
}

function applyThresholds() {
  const p = Number($<HTMLInputElement>('threshold').value);
  const lt = Number($<HTMLInputElement>('layer-threshold').value);
  delta.configure({inputThreshold: (p / 100) * 255, threshold: lt});
  // delta-cpu reads the configuration on every step; a delta-webgpu slot re-seeds itself (one dense step)
  // on its next call when its thresholds changed.
  $('threshold-value').textContent = `${p}% = ${((p / 100) * 255).toFixed(1)}`;
  $('layer-threshold-value').textContent = lt.toFixed(2);
}

function wire() {
  $('start').addEventListener('click', () => (running ? stop() : start()));
  $('threshold').addEventListener('input', applyThresholds);
  $('layer-threshold').addEventListener('input', applyThresholds);
  for (const el of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) {
    el.addEventListener('change', () => { if (el.checked) mode = el.value as Mode; });
  }
  $('layer').addEventListener('change', () => { layerNode = $<HTMLSelectElement>('layer').value; snapshot.layerNode = layerNode; });
  const reload = async () => {
    try {
      model = DEMO_MODELS.find((m) => m.name === $<HTMLSelectElement>('model').value)!;
      await setup();
      start();
    } catch (e) { fail(e); }
  };
  $('model').addEventListener('change', reload);
  $('source').addEventListener('change', reload);
  $<HTMLCanvasElement>('bars').addEventListener('click', (e) => {
    const c = e.currentTarget as HTMLCanvasElement;
    const x = (e.offsetX * c.width) / c.clientWidth;
    const hit = bars.find((b) => x >= b.x0 && x < b.x1);
    if (!hit) return;
    const l = hit.layer;
    const choice = snapshot.layers.find((ch) => ch.layer === l.name);
    $('bar-info').textContent = `${l.name} ${l.kernel} [${l.outputShape}] ${l.mode}: ${pct(l.activeFraction)} active` +
        (l.fallbackReason ? ` (${l.fallbackReason})` : '') + (choice ? '' : ' (not selectable: no graph node output of its own)');
    if (choice) { layerNode = choice.node; snapshot.layerNode = layerNode; $<HTMLSelectElement>('layer').value = choice.node; }
  });
}

async function useBackends(b: Backends) {
  backends = b;
  snapshot.backendKind = b.kind;
  await tf.setBackend(b.delta);   // creates it now: a device or adapter problem shows here, clearly
  await setup();
  snapshot.ready = true;
  start();
}

async function main() {
  wire();
  const m = params.get('mode');
  if (m === 'dense' || m === 'delta' || m === 'both') {
    mode = m;
    for (const el of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) el.checked = el.value === m;
  }
  if (params.has('threshold')) $<HTMLInputElement>('threshold').value = params.get('threshold')!;
  applyThresholds();
  const r = await fetch('models/index.json');
  if (!r.ok) throw new Error(`models/index.json: HTTP ${r.status}: run \`node demo/prepare.mjs\` (npm run demo:web does)`);
  index = await r.json();
  fillSelects();
  const problem = params.get('cpu') === '1' ? 'asked for the CPU (?cpu=1)' : await webgpuProblem();
  if (problem) {
    $('nogpu').hidden = false;
    $('nogpu-why').textContent = problem;
    snapshot.backendKind = 'none';
    status(`WebGPU is not available: ${problem}`);
    $('use-cpu').addEventListener('click', () => {
      $('nogpu').hidden = true;
      useBackends({kind: 'cpu', dense: 'cpu', delta: 'delta-cpu'}).catch(fail);
    }, {once: true});
    if (params.get('cpu') === '1') $('use-cpu').click();
    return;
  }
  await useBackends({kind: 'webgpu', dense: 'webgpu', delta: 'delta-webgpu'});
}

main().catch(fail);
