/**
 * `tfjs-delta calibrate`: searches per-layer thresholds for one model on frames of one video
 * (delta.calibrate) and writes them to a thresholds file that `tfjs-delta run --thresholds` and
 * `delta.loadThresholds()` apply. Every argument is checked before any model work starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import {writeFileSync} from 'node:fs';
import {relative, resolve} from 'node:path';
import * as delta from '../index';
import {CommandSpec, ParsedArgs, intOption, numberOption, parseRange, parseSize, stringOption} from './args';
import {DeltaBackendName, deltaAvailability, parseBackend, useBackend} from './backends';
import {UsageError} from './errors';
import {num, times} from './format';
import {ResolvedModel, frameToInput, loadModelFile, resolveModel} from './models';
import {resolveVideo, sampleClip} from './paths';
import {decodeFrames, probeVideo, requireFfmpeg} from './video';
import type {ModelSpec} from './catalog';
import {taskMetricFor} from './task';
import {CalibrationMetric, TaskMetricSpec, metricName} from '../core/task_metrics';

const METRICS = ['task', 'keypoints', 'boxes', 'mask', 'maxRel', 'meanRel'];

function metricOf(text: string, spec: ModelSpec, args: ParsedArgs): CalibrationMetric {
  if (text === 'maxRel' || text === 'meanRel') {
    for (const o of ['within', 'top-k', 'iou', 'min-score']) if (args.has(o)) throw new UsageError(`--${o} is for task metrics, not --metric ${text}`);
    return text;
  }
  const task = taskMetricFor(spec);
  const kind = text === 'task' ? task?.kind ?? 'maxRel' : text;
  if (kind === 'maxRel') return 'maxRel';
  if (kind === 'keypoints') {
    if (!spec.pose) throw new UsageError(`--metric keypoints needs a pose model (posenet, movenet-lightning); ${spec.name} has no keypoint decoder`);
    const m = {...(task as TaskMetricSpec & {kind: 'keypoints'})};
    if (args.has('within')) m.withinPx = numberOption(args, 'within', 0);
    if (args.has('min-score')) m.minScore = numberOption(args, 'min-score', 0);
    return m;
  }
  if (kind === 'boxes') {
    const m: TaskMetricSpec = {kind: 'boxes'};
    if (args.has('top-k')) m.topK = intOption(args, 'top-k', 10, 1);
    if (args.has('iou')) m.iou = numberOption(args, 'iou', 0.5);
    if (args.has('min-score')) m.minScore = numberOption(args, 'min-score', 0);
    return m;
  }
  return {kind: 'mask'};
}

export const CALIBRATE_COMMAND: CommandSpec = {
  name: 'calibrate',
  usage: 'tfjs-delta calibrate --model <model.json|name> --video <file|name> --target T [options]',
  summary: 'Searches per-layer thresholds (input threshold included) that skip the most MACs while the model\'s outputs stay\n' +
    'within --target of the dense outputs on every calibration frame, and writes them to a thresholds file\n' +
    '(keyed by stable layer keys: valid for the same model file in any process). Apply it with\n' +
    'tfjs-delta run --thresholds FILE, or delta.loadThresholds(json) in an app.',
  options: [
    {name: 'model', value: '<model.json|name>', help: 'a graph model: path of its model.json, or a catalog name (movenet-lightning, posenet, ...)'},
    {name: 'video', value: '<file|name>', help: 'any video ffmpeg reads, or a name: sample, vtest, pose_1', defaultText: 'sample'},
    {name: 'frames', value: 'N', help: 'calibration frames (>= 2)', defaultText: '20'},
    {name: 'start', value: 'K', help: 'first frame (0-based)', defaultText: '0'},
    {name: 'target', value: 'T', help: 'maxRel/meanRel: largest allowed error on every frame (e.g. 0.02); task metrics: ' +
      'smallest allowed agreement over the frames (e.g. 0.99)'},
    {name: 'metric', value: 'NAME', help: 'task, keypoints, boxes, mask, maxRel or meanRel: what must stay within --target of the dense run: ' +
      'task = the model\'s task metric (posenet/movenet: keypoints, centernet: boxes, selfie: mask; maxRel for others); keypoints: share of ' +
      'pose keypoints within --within px of dense; boxes: share of the dense top-k boxes matched (same class, IoU >= --iou); ' +
      'mask: mask IoU; maxRel: max |delta - dense| / max |dense| per output; meanRel: mean relative error', defaultText: 'maxRel'},
    {name: 'within', value: 'PX', help: 'keypoints: tolerance in model-input pixels', defaultText: 'one heatmap cell (posenet 16, movenet input/48)'},
    {name: 'top-k', value: 'K', help: 'boxes: how many dense boxes must match', defaultText: '10'},
    {name: 'iou', value: 'X', help: 'boxes: matching IoU', defaultText: '0.5'},
    {name: 'min-score', value: 'S', help: 'keypoints/boxes: dense keypoints/boxes below this score do not count', defaultText: '0'},
    {name: 'evaluations', value: 'N', help: 'budget: at most N evaluations (one evaluation = one pass over the frames)', defaultText: '200'},
    {name: 'seconds', value: 'S', help: 'budget: stop searching after S seconds', defaultText: 'no limit'},
    {name: 'backend', value: '<name>', help: 'delta backend to calibrate on', defaultText: 'delta-cpu'},
    {name: 'size', value: 'WxH', help: 'model input size (fully convolutional models only)', defaultText: "the model's"},
    {name: 'range', value: 'lo,hi', help: 'input value range of a model outside the catalog', defaultText: '0,1 float / 0,255 int'},
    {name: 'out', value: 'FILE', help: 'thresholds file to write', defaultText: 'thresholds.json'},
    {name: 'quiet', help: 'no progress on stderr'},
  ],
  notes: 'Example:\n  tfjs-delta calibrate --model posenet --video vtest --frames 20 --target 0.02 --out posenet-thresholds.json\n' +
    '  tfjs-delta run --model posenet --video vtest --thresholds posenet-thresholds.json',
};

export interface CalibratePlan {
  resolved: ResolvedModel;
  video: string;
  frames: number;
  start: number;
  target: number;
  metric: CalibrationMetric;
  metricName: string;
  evaluations: number;
  seconds: number | undefined;
  backend: DeltaBackendName;
  out: string;
  quiet: boolean;
}

export function planCalibrate(args: ParsedArgs): CalibratePlan {
  const modelArg = stringOption(args, 'model');
  if (!modelArg) throw new UsageError('calibrate needs --model (see tfjs-delta calibrate --help)');
  if (stringOption(args, 'target') === undefined) throw new UsageError('calibrate needs --target T (largest allowed error, e.g. 0.02)');
  const target = numberOption(args, 'target', 0);
  const metricText = stringOption(args, 'metric') ?? 'maxRel';
  if (!METRICS.includes(metricText)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got '${metricText}'`);
  const size = stringOption(args, 'size');
  const resolved = resolveModel(modelArg, {size: size ? parseSize(size, 'size') : undefined, range: parseRange(stringOption(args, 'range'))});
  const metric = metricOf(metricText, resolved.spec, args);
  if (typeof metric === 'object' && (target > 1)) throw new UsageError(`--target ${target}: ${metricText} is an agreement in [0, 1] (e.g. 0.99)`);
  const videoArg = stringOption(args, 'video');
  const video = videoArg ? resolveVideo(videoArg) : sampleClip();
  const frames = intOption(args, 'frames', 20, 2, 100000);
  const start = intOption(args, 'start', 0, 0);
  const evaluations = intOption(args, 'evaluations', 200, 1);
  const secondsText = stringOption(args, 'seconds');
  const seconds = secondsText === undefined ? undefined : numberOption(args, 'seconds', 0);
  const backend = parseBackend(stringOption(args, 'backend') ?? 'delta-cpu', 'backend', false) as DeltaBackendName;
  const a = deltaAvailability(backend);
  if (!a.ok) throw new UsageError(`--backend ${backend} cannot run here: ${a.why}`);
  requireFfmpeg();
  const info = probeVideo(video);
  if (info.approxFrames !== null && start + frames > info.approxFrames + 1) {
    throw new UsageError(`${video} has about ${info.approxFrames} frames; --start ${start} --frames ${frames} needs ${start + frames}`);
  }
  return {resolved, video, frames, start, target, metric, metricName: metricName(metric), evaluations, seconds, backend,
    out: resolve(stringOption(args, 'out') ?? 'thresholds.json'), quiet: args.has('quiet')};
}

export async function calibrateCommand(plan: CalibratePlan): Promise<void> {
  const spec = plan.resolved.spec;
  const log = (line = '') => process.stdout.write(line + '\n');
  const clip = decodeFrames(plan.video, {start: plan.start, count: plan.frames, width: spec.width, height: spec.height, fit: spec.fit});
  log(`tfjs-delta calibrate: ${spec.name} on ${plan.video}, frames ${plan.start}..${plan.start + plan.frames - 1}, ` +
      `${plan.metricName} ${typeof plan.metric === 'object' ? '>=' : '<='} ${num(plan.target)}, ${plan.backend}`);
  await useBackend(plan.backend);
  const model = await loadModelFile(plan.resolved.file, plan.resolved.inputSizeRewrite);
  const result = await delta.calibrate((f) => {
    const x = frameToInput(spec, clip.frames[f]);
    const y = model.execute(x);
    x.dispose();
    return y as tf.Tensor | tf.Tensor[];
  }, plan.frames, {
    metric: plan.metric, target: plan.target, inputRange: spec.range,
    budget: {evaluations: plan.evaluations, seconds: plan.seconds},
    onProgress: (p) => {
      if (!plan.quiet) {
        process.stderr.write(`  [${p.evaluations}] ${p.phase} ${p.coordinate} = ${num(p.value)}: ${times(p.tried.macRatio)}, ${plan.metricName} ${num(p.tried.metric)}: ` +
            `${p.accepted ? 'kept' : 'no'}; ` +
            `best ${times(p.macRatio)} MACs skipped, ${plan.metricName} ${num(p.metric)} (${p.seconds.toFixed(0)} s)\n`);
      }
    },
  });
  model.dispose();
  writeFileSync(plan.out, delta.saveThresholds(result));
  log(`  global thresholds (input ${num(result.global.inputThreshold)}, activation ${num(result.global.threshold)}): ` +
      `${times(result.global.macRatio)} dense/performed MACs, ${plan.metricName} ${num(result.global.metric)}`);
  log(`  per-layer thresholds (${Object.keys(result.thresholds).length} of ${result.keys.length} layers, input ${num(result.inputThreshold)}): ` +
      `${times(result.macRatio)} dense/performed MACs, ${plan.metricName} ${num(result.metric)}; ${result.evaluations} evaluations`);
  log(`wrote ${relative(process.cwd(), plan.out) || plan.out}`);
}
