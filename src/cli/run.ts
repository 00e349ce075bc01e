/**
 * `tfjs-delta run`: one model on one video, densely on the reference backend and with a delta backend
 * on the same frames (once per threshold setting). Prints a summary, writes DIR/result.json and SVG
 * plots, and with --render PNG frames. Every argument is checked before any model work starts, so a
 * bad argument costs a fraction of a second and gives one line.
 */
import * as tf from '@tensorflow/tfjs-core';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {basename, join, relative, resolve} from 'node:path';
import * as delta from '../index';
import {CommandSpec, ParsedArgs, ThresholdSpec, intOption, listOption, numberOption, parseRange, parseSize, parseThreshold, stringOption} from './args';
import {BackendName, DeltaBackendName, REFERENCE_BACKEND, bestDeltaBackend, deltaAvailability, parseBackend, useBackend} from './backends';
import {CliError, UsageError} from './errors';
import {mmacs, ms, num, pct, sci, textTable, times} from './format';
import {Keypoint, OutputValues, decodeKeypoints, keypointDistances} from './keypoints';
import {machineInfo} from './machine';
import {ErrorAccumulator, mean, median, percentile} from './metrics';
import {ResolvedModel, loadModelFile, resolveModel} from './models';
import {packageRoot, resolveVideo, sampleClip} from './paths';
import {Progress} from './progress';
import {InputUpdateMask, RENDER_LEGEND, renderFrames} from './render';
import {LayerSeries, runPass} from './runner';
import {DENSE_COLOR, PALETTE, Series, heatmap, lineChart, niceTicks} from './svg';
import {Clip, FrameGeometry, decodeFrames, probeVideo, requireFfmpeg} from './video';

export const DEFAULT_MODEL = 'movenet-lightning';
/** On the shipped sample clip (the no-argument run) fewer passes: dense cpu ~1 s/frame + delta at 2% ~0.6 s/frame. */
export const SAMPLE_FRAMES = 20;
export const SAMPLE_INPUT_THRESHOLDS = ['2%'];

export const RUN_COMMAND: CommandSpec = {
  name: 'run',
  usage: 'tfjs-delta run [--model <model.json|name>] [--video <file|name>] [options]',
  summary: 'Runs a tfjs graph model on video frames twice: densely on the reference backend, and with a delta backend\n' +
    'on the same frames (once per threshold). Prints latency (median/p90), speedup, agreement with dense, per-layer\n' +
    'sparsity and the arithmetic ceiling; writes DIR/result.json and SVG plots. With no arguments: movenet-lightning\n' +
    'on the sample clip shipped in the package, on the best delta backend available.',
  options: [
    {name: 'model', value: '<model.json|name>', help: 'a graph model: path of its model.json, or a name: movenet-lightning, posenet, ' +
      'blazepose-lite, centernet, selfie', defaultText: DEFAULT_MODEL},
    {name: 'video', value: '<file|name>', help: 'any video ffmpeg reads, or a name: sample (shipped), vtest, pose_1 (checkout data)',
      defaultText: 'sample'},
    {name: 'backend', value: '<name>', help: 'delta backend: delta-cuda | delta-webgpu | delta-cpu', defaultText: 'the best available'},
    {name: 'reference', value: '<name>', help: 'dense backend to compare with: cpu | wasm | webgpu', defaultText: 'cpu for delta-cpu, webgpu for the GPU backends'},
    {name: 'input-threshold', value: 't[,t...]', help: 'input threshold(s) in units of the model input tensor, or a share of its range ' +
      'like 2%: 0.02 for [0,1] input, 0.04 for [-1,1], ~5 for 0-255; 0 = exact', defaultText: '0,2%; 2% on the sample clip'},
    {name: 'threshold', value: 't[,t...]', help: 'activation threshold(s) (truncation of nonlinear layer outputs, in their units); ' +
      'with several input and activation thresholds every combination runs', defaultText: '0'},
    {name: 'frames', value: 'N', help: 'frames per camera stream (>= 2)', defaultText: `30; ${SAMPLE_FRAMES} on the sample clip`},
    {name: 'start', value: 'K', help: 'first frame (0-based)', defaultText: '0'},
    {name: 'size', value: 'WxH', help: 'model input size (fully convolutional models only, e.g. posenet 385x385)', defaultText: "the model's"},
    {name: 'batch', value: 'B', help: 'B independent camera streams (consecutive segments of the video, delta.stream each); ' +
      'latency is per batch', defaultText: '1'},
    {name: 'range', value: 'lo,hi', help: 'input value range of a model outside the catalog (RGB 0..255 maps onto it)', defaultText: '0,1 float / 0,255 int'},
    {name: 'px', value: 'N', help: 'keypoint agreement: share of keypoints within N pixels (of the source frame) of dense', defaultText: '3'},
    {name: 'thresholds', value: 'FILE', help: 'per-layer thresholds written by tfjs-delta calibrate (replaces --input-threshold ' +
      'and --threshold; the file must have been calibrated for this model)'},
    {name: 'out', value: 'DIR', help: 'output folder for result.json, plots and frames', defaultText: 'tfjs-delta-out'},
    {name: 'replay', help: 'run the delta backend through delta.replayModel(model): after two recorded frames each frame replays ' +
      'its kernel sequence below tfjs\' graph executor (less host time per frame; result.json says how many frames replayed)'},
    {name: 'render', help: 'also write PNG frames: input update mask (red), dense (green) and delta (magenta) pose skeletons'},
    {name: 'quiet', help: 'no progress on stderr'},
  ],
  notes: 'Thresholds: 0 everywhere is exact mode (outputs equal dense within float tolerance). On real video a nonzero\n' +
    'input threshold is needed for real sparsity (codec noise touches most pixels): 2% of the input range is a good start.\n' +
    'Latency is wall time of model.execute + downloading every output (await data()), frame 0 excluded (warm-up;\n' +
    'the delta backend\'s dense seed frame). Examples:\n' +
    '  tfjs-delta run\n' +
    '  tfjs-delta run --model posenet --video vtest --frames 30 --input-threshold 0,0.02,2%\n' +
    '  tfjs-delta run --model ./my/model.json --range -1,1 --video clip.mp4 --threshold 0,0.01,0.03 --render',
};

interface DeltaSetting {
  label: string;
  /** A thresholds file (tfjs-delta calibrate): its text and path. */
  thresholdsFile?: {path: string; text: string};
  inputThreshold: number;
  inputGiven: string;           // as typed: "2%", "0.04"
  threshold: number;
  exact: boolean;
}

export interface RunPlan {
  resolved: ResolvedModel;
  video: string;
  videoIsSample: boolean;
  backend: DeltaBackendName;
  backendReasons: string[];
  reference: BackendName;
  settings: DeltaSetting[];
  frames: number;
  start: number;
  batch: number;
  pxTolerance: number;
  outDir: string;
  render: boolean;
  replay: boolean;
  quiet: boolean;
}

/** Checks every argument and resolves model, video and backends; nothing heavy runs here. */
export function planRun(args: ParsedArgs): RunPlan {
  const size = stringOption(args, 'size');
  const resolved = resolveModel(stringOption(args, 'model') ?? DEFAULT_MODEL,
      {size: size ? parseSize(size, 'size') : undefined, range: parseRange(stringOption(args, 'range'))});
  const videoArg = stringOption(args, 'video');
  const video = videoArg ? resolveVideo(videoArg) : sampleClip();
  const videoIsSample = resolve(video) === resolve(sampleClip());

  const inputSpecs = listOption(args, 'input-threshold', videoIsSample ? SAMPLE_INPUT_THRESHOLDS : ['0', '2%'])
      .map((t) => parseThreshold(t, 'input-threshold', true));
  const actSpecs = listOption(args, 'threshold', ['0']).map((t) => parseThreshold(t, 'threshold', false));
  const frames = intOption(args, 'frames', videoIsSample ? SAMPLE_FRAMES : 30, 2, 100000);
  const start = intOption(args, 'start', 0, 0);
  const batch = intOption(args, 'batch', 1, 1, 64);
  const pxTolerance = numberOption(args, 'px', 3);

  let backend: DeltaBackendName, backendReasons: string[];
  const backendArg = stringOption(args, 'backend');
  if (backendArg) {
    backend = parseBackend(backendArg, 'backend', false) as DeltaBackendName;
    const a = deltaAvailability(backend);
    if (!a.ok) throw new UsageError(`--backend ${backend} cannot run here: ${a.why}`);
    backendReasons = [`${backend}: chosen with --backend (${a.why})`];
  } else {
    ({name: backend, reasons: backendReasons} = bestDeltaBackend());
  }
  const referenceArg = stringOption(args, 'reference');
  const reference = referenceArg ? parseBackend(referenceArg, 'reference', true) : REFERENCE_BACKEND[backend];
  if (referenceArg && reference.startsWith('delta-')) throw new UsageError(`--reference must be a dense backend (cpu, wasm, webgpu), got ${reference}`);

  // ffmpeg must read the video: checked now, so a bad file is one line before any model work.
  requireFfmpeg();
  const info = probeVideo(video);
  if (info.approxFrames !== null && start + batch * frames > info.approxFrames + 1) {
    throw new UsageError(`${video} has about ${info.approxFrames} frames; --start ${start} --frames ${frames}` +
        `${batch > 1 ? ` --batch ${batch}` : ''} needs ${start + batch * frames}`);
  }
  let settings = deltaSettings(inputSpecs, actSpecs, resolved.spec.range);
  const thresholdsPath = stringOption(args, 'thresholds');
  if (thresholdsPath !== undefined) {
    if (args.has('input-threshold') || args.has('threshold')) {
      throw new UsageError('--thresholds replaces --input-threshold and --threshold: give one or the other');
    }
    settings = [thresholdsSetting(thresholdsPath)];
  }
  return {resolved, video, videoIsSample, backend, backendReasons, reference, settings, frames, start, batch, pxTolerance,
    outDir: resolve(stringOption(args, 'out') ?? 'tfjs-delta-out'), render: args.has('render'), replay: args.has('replay'), quiet: args.has('quiet')};
}

/** The setting of a thresholds file (checked now: one line if it is missing or malformed). */
function thresholdsSetting(path: string): DeltaSetting {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--thresholds: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let file: delta.ThresholdsFile;
  try {
    file = delta.parseThresholdsFile(text);
  } catch (e) {
    throw new UsageError(`--thresholds ${path}: ${(e as Error).message.replace(/^tfjs-backend-delta: loadThresholds\(\): /, '')}`);
  }
  const layers = Object.keys(file.thresholds).length;
  return {label: `calibrated ${basename(path)} (in ${num(file.inputThreshold)}, act ${num(file.threshold ?? 0)}, ${layers} layers)`,
    inputThreshold: file.inputThreshold, inputGiven: num(file.inputThreshold), threshold: file.threshold ?? 0,
    exact: file.inputThreshold === 0 && (file.threshold ?? 0) === 0 && Object.values(file.thresholds).every((t) => t === 0),
    thresholdsFile: {path, text}};
}

function deltaSettings(inputs: ThresholdSpec[], acts: ThresholdSpec[], range: [number, number]): DeltaSetting[] {
  const out: DeltaSetting[] = [];
  for (const i of inputs) {
    const abs = i.percent ? (i.value / 100) * (range[1] - range[0]) : i.value;
    for (const a of acts) {
      const inText = i.percent ? `${num(abs)} (${i.text})` : num(abs);
      out.push({label: `in ${inText} act ${num(a.value)}`, inputThreshold: abs, inputGiven: i.text, threshold: a.value,
        exact: abs === 0 && a.value === 0});
    }
  }
  return out;
}

// ---------------------------------------------------------------- results

interface KeypointAgreement { tolerancePx: number; withinShare: number; medianPx: number; p90Px: number; maxPx: number; count: number }

interface LayerResult {
  name: string; kernel: string; outputShape: number[]; modes: Record<string, number>; fallbackReason: string | null;
  meanActive: number;                  // frames >= 1
  denseMacsPerFrame: number;           // mean over frames >= 1
  performedMacsPerFrame: number;
  skippedShare: number;                // 1 - performed/dense over frames >= 1
  activePerFrame: Array<number | null>;
  /** Per frame: ran its delta kernel (else a dense run: seed frame, fallback kernel, re-seed). */
  deltaPerFrame: boolean[];
}

export interface DeltaRunResult {
  label: string; inputThreshold: number; inputThresholdGiven: string; threshold: number; exact: boolean;
  latencyMs: {median: number; p90: number; mean: number; perFrame: number[]};
  speedup: number;
  agreement: {keypoints: KeypointAgreement | null; outputs: {maxAbs: number; meanAbs: number; maxRel: number}};
  macs: {densePerFrame: number; performedPerFrame: number; ceiling: number};
  meanActiveFraction: number;          // mean over layers with a delta kernel, frames >= 1
  inputSentFraction: number;           // mean over frames >= 1 (the input rule replayed on the frames)
  inputSentPerFrame: number[];
  leakedTensors: number;
  /** --replay: how the delta frames ran (replayed / recorded / eager), else null. */
  replay: delta.ReplayStats | null;
  layers: LayerResult[];
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
const afterFirst = <T>(v: T[]) => v.slice(1);

function layerResults(series: LayerSeries[]): LayerResult[] {
  return series.map((s) => {
    const dense = afterFirst(s.denseMacs).reduce((a, b) => a + b, 0);
    const performed = afterFirst(s.performedMacs).reduce((a, b) => a + b, 0);
    const n = Math.max(1, s.denseMacs.length - 1);
    const active = afterFirst(s.active).filter((v, f) => s.delta[f + 1] && Number.isFinite(v));   // delta runs only
    return {name: s.name, kernel: s.kernel, outputShape: s.outputShape, modes: s.modes, fallbackReason: s.fallbackReason,
      meanActive: mean(active), denseMacsPerFrame: dense / n, performedMacsPerFrame: performed / n,
      skippedShare: dense > 0 ? 1 - performed / dense : 0, activePerFrame: s.active.map(finiteOrNull), deltaPerFrame: s.delta};
  });
}

function latency(perFrame: number[]) {
  const timed = afterFirst(perFrame);
  return {median: median(timed), p90: percentile(timed, 90), mean: mean(timed), perFrame};
}

function keypointAgreement(distances: number[], tolerancePx: number): KeypointAgreement | null {
  if (!distances.length) return null;
  return {tolerancePx, withinShare: distances.filter((d) => d <= tolerancePx).length / distances.length,
    medianPx: median(distances), p90Px: percentile(distances, 90), maxPx: Math.max(...distances), count: distances.length};
}

// ---------------------------------------------------------------- the run

export async function run(plan: RunPlan): Promise<void> {
  const {resolved, batch, frames} = plan;
  const spec = resolved.spec;
  const log = (line = '') => process.stdout.write(line + '\n');

  // Decode B consecutive segments of `frames` frames (one per camera stream).
  const clip: Clip = decodeFrames(plan.video, {start: plan.start, count: batch * frames, width: spec.width, height: spec.height, fit: spec.fit});
  const streams = Array.from({length: batch}, (_, b) => clip.frames.slice(b * frames, (b + 1) * frames));
  const geometry: FrameGeometry = clip;

  const videoName = plan.videoIsSample ? `${basename(plan.video)} (the sample clip shipped in the package)` : plan.video;
  log(`tfjs-delta run: ${spec.name} (${resolved.known ? 'catalog' : 'not in the catalog'}: ${spec.note})`);
  log(`  model file ${resolved.file}`);
  log(`  video ${videoName}: ${clip.sourceWidth}x${clip.sourceHeight} -> ${spec.width}x${spec.height} ` +
      `(${spec.fit === 'pad' ? 'letterboxed' : 'stretched'}), frames ${plan.start}..${plan.start + batch * frames - 1}` +
      (batch > 1 ? `, ${batch} camera streams of ${frames} frames` : ''));
  log(`  backend ${plan.backend}, dense reference ${plan.reference}; ${plan.backendReasons.join('; ')}`);
  const rangeText = `${spec.range[0]}..${spec.range[1]}`;
  log(`  input thresholds in input units (${spec.dtype}, range ${rangeText}): ` +
      [...new Set(plan.settings.map((s) => `${s.inputGiven}${s.inputGiven.endsWith('%') ? ` of ${rangeText} = ${num(s.inputThreshold)}` : ''}`))].join(', '));
  log();

  const progress = new Progress(frames * (1 + plan.settings.length), process.stderr, !plan.quiet);
  // Dense reference pass: its outputs are the truth every delta run is compared with.
  await useBackend(plan.reference);
  const denseOutputs: OutputValues[][][] = [];             // [frame][stream][output]
  let model = await loadModelFile(resolved.file, resolved.inputSizeRewrite);
  progress.start(`dense ${plan.reference}`);
  const dense = await runPass({model, spec, streams,
    onOutputs: (f, b, outs) => { (denseOutputs[f] ??= [])[b] = outs; },
    onFrame: () => progress.step()});
  model.dispose();
  const denseLatency = latency(dense.msPerFrame);
  progress.end(`median ${ms(denseLatency.median)} ms/frame`);
  const denseKeypoints = spec.pose ? denseOutputs.map((perStream) => perStream.map((o) => decodeKeypoints(spec.pose!, o, geometry))) : null;

  await useBackend(plan.backend);
  model = await loadModelFile(resolved.file, resolved.inputSizeRewrite);
  const results: DeltaRunResult[] = [];
  const renderKeypoints: Array<Keypoint[][]> = [];           // [setting][frame] (stream 0)
  for (const s of plan.settings) {
    if (s.thresholdsFile) delta.loadThresholds(s.thresholdsFile.text, s.thresholdsFile.path);
    else delta.configure({inputThreshold: s.inputThreshold, threshold: s.threshold, thresholds: {}});
    delta.reset();
    const errors = new ErrorAccumulator();
    const distances: number[] = [];
    const kpStream0: Keypoint[][] = [];
    progress.start(`${plan.backend} ${s.label}`);
    const replay = plan.replay ? delta.replayModel(model) : undefined;
    const pass = await runPass({model, spec, streams, deltaStats: true, replay, onFrame: (f) => {
      // A thresholds file of another model: one line after the first frame (the keys are known then).
      if (f === 0 && s.thresholdsFile) {
        try {
          delta.checkThresholds(batch > 1 ? {stream: 'camera-0'} : {});
        } catch (e) {
          throw new CliError(`--thresholds ${s.thresholdsFile.path}: ${(e as Error).message.replace(/^tfjs-backend-delta: /, '')}`);
        }
      }
      progress.step();
    },
      onOutputs: (f, b, outs) => {
        const kp = spec.pose ? decodeKeypoints(spec.pose, outs, geometry) : null;
        if (kp && b === 0) kpStream0.push(kp);
        if (f === 0) return;                                  // frame 0 is a dense seed: equal by construction
        outs.forEach((o, i) => errors.add(o.values, denseOutputs[f][b][i].values));
        if (kp) distances.push(...keypointDistances(kp, denseKeypoints![f][b]));
      }});
    renderKeypoints.push(kpStream0);
    const layers = layerResults(pass.layers ?? []);
    const densePerFrame = layers.reduce((a, l) => a + l.denseMacsPerFrame, 0);
    const performedPerFrame = layers.reduce((a, l) => a + l.performedMacsPerFrame, 0);
    const inputMask = new InputUpdateMask(s.inputThreshold, (spec.range[1] - spec.range[0]) / 255);
    const sent = streams[0].map((frame) => inputMask.next(frame).fraction);
    const lat = latency(pass.msPerFrame);
    const r: DeltaRunResult = {
      label: s.label, inputThreshold: s.inputThreshold, inputThresholdGiven: s.inputGiven, threshold: s.threshold, exact: s.exact,
      latencyMs: lat, speedup: denseLatency.median / lat.median,
      agreement: {keypoints: keypointAgreement(distances, plan.pxTolerance),
        outputs: {maxAbs: errors.maxAbs, meanAbs: errors.meanAbs, maxRel: errors.maxRel}},
      macs: {densePerFrame, performedPerFrame, ceiling: performedPerFrame > 0 ? densePerFrame / performedPerFrame : Infinity},
      meanActiveFraction: mean(layers.map((l) => l.meanActive).filter(Number.isFinite)),
      inputSentFraction: mean(afterFirst(sent)), inputSentPerFrame: sent,
      leakedTensors: pass.leakedTensors, replay: replay ? replay.stats() : null, layers,
    };
    replay?.dispose();
    results.push(r);
    progress.end(`median ${ms(lat.median)} ms/frame, ${times(r.speedup)} vs dense`);
  }
  model.dispose();
  log();

  printSummary(plan, denseLatency, results, log);
  const files = writeOutputs(plan, clip, denseLatency.perFrame, results);
  if (plan.render) {
    const dirs = plan.settings.map((s, i) => {
      const mask = new InputUpdateMask(s.inputThreshold, (spec.range[1] - spec.range[0]) / 255);
      const dir = join(plan.outDir, 'frames', `${i}-${s.label.replace(/[^a-z0-9.]+/gi, '_').replace(/_+$/, '')}`);
      renderFrames(dir, spec.width, spec.height, streams[0].map((frame, f) => ({frame, mask: mask.next(frame).mask,
        dense: denseKeypoints?.[f][0] ?? null, delta: renderKeypoints[i][f] ?? null})));
      return dir;
    });
    files.push(...dirs.map((d) => `${d}/frame-*.png (${frames})`));
    log(`rendered frames: ${RENDER_LEGEND}`);
  }
  log(`wrote ${files.map((f) => relative(process.cwd(), f) || f).join(', ')}`);
}

function printSummary(plan: RunPlan, dense: ReturnType<typeof latency>, results: DeltaRunResult[], log: (l?: string) => void) {
  const spec = plan.resolved.spec;
  const timed = plan.frames - 1;
  log(`Latency per ${plan.batch > 1 ? `batch of ${plan.batch} frames` : 'frame'} (ms, frames 1..${timed}; frame 0 is warm-up / the dense seed):`);
  const agreementHead = spec.pose ? ` keypoints <= ${num(plan.pxTolerance)} px` : ' max (mean) |out - dense|';
  const rows = [[`dense ${plan.reference}`, ms(dense.median), ms(dense.p90), '1.00x', '', '', '', '']];
  for (const r of results) {
    const kp = r.agreement.keypoints;
    rows.push([`${plan.backend} ${r.label}${r.exact ? ' (exact)' : ''}`, ms(r.latencyMs.median), ms(r.latencyMs.p90), times(r.speedup),
      kp ? `${pct(kp.withinShare)} (median ${kp.medianPx.toFixed(2)} px, max ${kp.maxPx.toFixed(1)})`
        : `${sci(r.agreement.outputs.maxAbs)} (mean ${sci(r.agreement.outputs.meanAbs)})`,
      pct(r.inputSentFraction), pct(r.meanActiveFraction), times(r.macs.ceiling)]);
  }
  log(textTable(['run', ' median', ' p90', ' speedup', agreementHead, ' input sent', ' mean active', ' MAC ceiling'], rows));
  log('  speedup = dense median / delta median; input sent = share of input pixels the delta backend re-sent; mean active =');
  log('  share of output pixels that changed, averaged over the layers with a delta kernel; MAC ceiling = dense MACs / MACs');
  log('  performed (the arithmetic bound on the speedup).');
  if (spec.pose) {
    log(`  outputs vs dense (max abs error): ${results.map((r) => `${r.label}: ${sci(r.agreement.outputs.maxAbs)}`).join('; ')}`);
  }
  log();

  // Per layer: where work is skipped (ranked in the sparsest run), and how much of the dense work sits in
  // layers that stay (almost) fully active: that share bounds the speedup however sparse the input is.
  const sparsest = results.reduce((a, r) => (r.macs.ceiling > a.macs.ceiling ? r : a), results[0]);
  const skipped = (l: LayerResult) => l.denseMacsPerFrame - l.performedMacsPerFrame;
  const top = [...sparsest.layers].filter((l) => l.denseMacsPerFrame > 0).sort((a, b) => skipped(b) - skipped(a)).slice(0, 10);
  const layerRows = top.map((l) => [l.name, l.outputShape.join('x'), mmacs(l.denseMacsPerFrame),
    ...results.flatMap((r) => {
      const m = r.layers.find((x) => x.name === l.name);
      return [m ? pct(m.meanActive, 0) : '-', m ? pct(m.skippedShare, 0) : '-'];
    })]);
  log(`Layers that skip the most MACs (of ${sparsest.layers.length}; ranked in run #${results.indexOf(sparsest) + 1}; per run: ` +
      `mean active output pixels / share of the layer's MACs skipped, frames 1..${timed}):`);
  log(textTable(['layer', 'output', ' MMAC', ...results.flatMap((_, i) => [` active#${i + 1}`, ` skipped#${i + 1}`])], layerRows));
  log(`  runs: ${results.map((r, i) => `#${i + 1} ${r.label}`).join(', ')}`);
  const total = sparsest.layers.reduce((a, l) => a + l.denseMacsPerFrame, 0);
  const full = sparsest.layers.filter((l) => l.denseMacsPerFrame > 0 && l.skippedShare < 0.01);
  if (total > 0 && full.length) {
    log(`  ${full.length} layers skip < 1% of their MACs in run #${results.indexOf(sparsest) + 1}; they hold ` +
        `${pct(full.reduce((a, l) => a + l.denseMacsPerFrame, 0) / total, 0)} of the dense MACs (receptive fields: deep layers see change everywhere)`);
  }
  const fallbacks = new Map<string, string>();
  for (const l of sparsest.layers) if (l.fallbackReason && !fallbacks.has(l.kernel)) fallbacks.set(l.kernel, l.fallbackReason);
  if (fallbacks.size) log(`  dense fallback (no delta kernel): ${[...fallbacks.keys()].join(', ')}`);
  if (!results.some((r) => r.exact)) log('  exact mode (all thresholds 0, outputs equal dense) is not in this run: add --input-threshold 0,2%');
  for (const r of results) {
    if (r.replay) log(`  replay (${r.label}): ${r.replay.replayedFrames} of ${r.replay.frames} frames replayed, ${r.replay.calls} kernel calls a frame` +
        (r.replay.reason ? ` (last: ${r.replay.reason})` : ''));
  }
  const leaks = results.filter((r) => r.leakedTensors !== 0);
  if (leaks.length) log(`  WARNING leaked tensors: ${leaks.map((r) => `${r.label}: ${r.leakedTensors}`).join('; ')}`);
  log();
}

function writeOutputs(plan: RunPlan, clip: Clip, denseMs: number[], results: DeltaRunResult[]): string[] {
  const spec = plan.resolved.spec;
  mkdirSync(plan.outDir, {recursive: true});
  const files: string[] = [];
  const write = (name: string, text: string) => { const p = join(plan.outDir, name); writeFileSync(p, text); files.push(p); };
  const denseLat = latency(denseMs);
  const result = {
    tool: 'tfjs-delta run', version: packageVersion(), date: new Date().toISOString(),
    command: process.argv.slice(2), machine: machineInfo(),
    model: {name: spec.name, file: plan.resolved.file, known: plan.resolved.known, identifiedBy: plan.resolved.identifiedBy,
      inputSize: [spec.width, spec.height], dtype: spec.dtype, range: spec.range, fit: spec.fit, pose: spec.pose ?? null},
    video: {file: plan.video, sample: plan.videoIsSample, sourceSize: [clip.sourceWidth, clip.sourceHeight], start: plan.start,
      frames: plan.frames, batch: plan.batch},
    backend: {delta: plan.backend, reference: plan.reference, why: plan.backendReasons},
    timing: 'wall ms of model.execute + await data() of every output, per frame (all streams); median/p90 over frames 1..N-1',
    dense: {backend: plan.reference, latencyMs: denseLat},
    runs: results,
  };
  write('result.json', JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');

  const title = `${spec.name} on ${basename(plan.video)}`;
  const x = (v: number[]) => v.map((y, f): [number, number] => [f, y]);
  write('latency.svg', lineChart({
    title: `Latency per ${plan.batch > 1 ? 'batch' : 'frame'}: ${title}`,
    subtitle: `${plan.backend} vs dense ${plan.reference}, ${spec.width}x${spec.height}${plan.batch > 1 ? `, batch ${plan.batch}` : ''}; ` +
      'frame 0 = warm-up / dense seed',
    xLabel: 'frame', yLabel: 'ms per frame (execute + download)',
    // Frame numbers are integers: no ticks between frames on short runs.
    xTicks: niceTicks(0, Math.max(1, denseMs.length - 1), 10).filter((t) => Number.isInteger(t) && t < Math.max(2, denseMs.length))
        .map((t) => ({value: t, label: String(t)})),
    series: [{name: `dense ${plan.reference}`, color: DENSE_COLOR, points: x(denseMs), dashed: true},
      ...results.map((r, i): Series => ({name: `${plan.backend} ${r.label}`, color: PALETTE[i % PALETTE.length], points: x(r.latencyMs.perFrame)}))],
  }));
  results.forEach((r, i) => {
    // Rows: the input, then every layer that has a delta kernel; cells of dense runs are grey.
    const deltaLayers = r.layers.filter((l) => l.deltaPerFrame.some(Boolean));
    const rows = [{label: 'input pixels sent', values: r.inputSentPerFrame.map((v, f) => (f === 0 ? NaN : v))},
      ...deltaLayers.map((l) => ({label: `${l.name} ${l.outputShape.slice(1).join('x')}`,
        values: l.activePerFrame.map((v, f) => (l.deltaPerFrame[f] && v !== null ? v : NaN))}))];
    write(`active-${i + 1}.svg`, heatmap({
      title: `Active output pixels per layer: ${title}`,
      subtitle: `${plan.backend} ${r.label}: mean active ${pct(r.meanActiveFraction)}, MAC ceiling ${times(r.macs.ceiling)}` +
        (deltaLayers.length < r.layers.length ? `; ${r.layers.length - deltaLayers.length} of ${r.layers.length} layers have no delta kernel (not shown)` : ''),
      rowLabels: rows.map((row) => row.label), values: rows.map((row) => row.values),
      xLabel: 'frame', yLabel: 'layer (execution order)', colorbarLabel: 'share of output pixels changed',
      missingLabel: 'dense run\n(frame 0 seeds\nevery layer)',
    }));
  });
  if (results.length > 1) {
    const ticks = results.map((r, i) => ({value: i, label: r.label.replace(/ \(.*?\)/, '')}));
    const agreement = results.map((r) => (r.agreement.keypoints ? `kp ${pct(r.agreement.keypoints.withinShare, 0)}` : `err ${sci(r.agreement.outputs.maxAbs)}`));
    write('speed-vs-threshold.svg', lineChart({
      title: `Speed vs threshold: ${title}`,
      subtitle: `${plan.backend} vs dense ${plan.reference} (median latency, frames 1..${plan.frames - 1}); labels: agreement with dense`,
      xLabel: 'thresholds (input units / activation units)', yLabel: `speedup over dense ${plan.reference} (x)`,
      xTicks: ticks,
      series: [
        {name: 'measured speedup (median latency)', color: PALETTE[0], points: results.map((r, i) => [i, r.speedup]), markers: true, pointLabels: agreement},
        {name: 'arithmetic ceiling (dense MACs / performed MACs)', color: PALETTE[1], points: results.map((r, i) => [i, r.macs.ceiling]), dashed: true, markers: true},
        {name: 'dense (1x)', color: DENSE_COLOR, points: [[0, 1], [results.length - 1, 1]], dashed: true, markers: false},
      ],
    }));
  }
  return files;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version;
}

/** Keeps tfjs quiet and fast for CLI use (no debug checks, no "install tfjs-node" banner). */
export function quietTfjs(): void {
  tf.enableProdMode();
}
