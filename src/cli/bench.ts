/**
 * `tfjs-delta bench` (npm run bench): the benchmark matrix models x videos x backends x thresholds,
 * following the tfjs e2e benchmark conventions (tensorflow/tfjs e2e/benchmarks/benchmark_util.js):
 * warm-up frames before timing; each timed frame is model.execute + downloading every output
 * (await data()) so asynchronous backends are fully timed; a tf.profile() of one more frame for the
 * per-kernel breakdown, without the `<op>__op` scope entries (they enclose kernels that are also
 * listed, so summing them would count that time twice); the number of tensors leaked over the run.
 * Results go to benchmarks/results/<date>-<machine>/ as results.json + results.md; `--readme`
 * regenerates the README's benchmark section from every results folder.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {GraphModel} from '@tensorflow/tfjs-converter';
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {basename, join, relative, resolve} from 'node:path';
import * as delta from '../index';
import {CommandSpec, ParsedArgs, intOption, listOption, numberOption, parseSize, parseThreshold, stringOption} from './args';
import {BackendName, DenseBackendName, denseAvailability, deltaAvailability, isDeltaBackend, parseBackend, useBackend} from './backends';
import {CliError, UsageError} from './errors';
import {markdownTable, mmacs, ms, num, pct, sci, times} from './format';
import {OutputValues, decodeKeypoints, keypointDistances} from './keypoints';
import {MachineInfo, machineInfo, machineSlug} from './machine';
import {ErrorAccumulator, mean, median, percentile} from './metrics';
import {ResolvedModel, loadModelFile, resolveModel} from './models';
import {packageRoot, resolveVideo} from './paths';
import {Progress} from './progress';
import {runFrame} from './runner';
import {Clip, decodeFrames, probeVideo, requireFfmpeg} from './video';

export const BENCH_COMMAND: CommandSpec = {
  name: 'bench',
  usage: 'tfjs-delta bench [--models a,b] [--videos x,y] [--backends ...] [--thresholds ...] [options]   (npm run bench -- ...)',
  summary: 'The benchmark matrix: every model on every video on every backend (delta backends once per threshold).\n' +
    'Conventions of the tfjs e2e benchmarks: warm-up frames, output download inside the timed region, tf.profile kernel\n' +
    'breakdown (without __op scopes), leaked-tensor count. Writes results.json + results.md to the output folder.',
  options: [
    {name: 'models', value: 'a,b', help: 'catalog names or model.json paths', defaultText: 'movenet-lightning'},
    {name: 'videos', value: 'x,y', help: 'video files or names (sample, vtest, pose_1)', defaultText: 'sample'},
    {name: 'backends', value: 'b,c', help: 'delta-cpu, delta-webgpu, delta-cuda, cpu, wasm, webgpu (unavailable ones are skipped with the reason)',
      defaultText: 'delta-cpu,cpu,wasm'},
    {name: 'thresholds', value: 't,t', help: 'input thresholds of the delta backends, in input units or % of the input range', defaultText: '0,2%'},
    {name: 'act-thresholds', value: 't,t', help: 'activation thresholds of the delta backends (every combination runs)', defaultText: '0'},
    {name: 'frames', value: 'N', help: 'timed frames per cell', defaultText: '20'},
    {name: 'warmup', value: 'W', help: 'untimed frames before them (a delta backend seeds its layers on the first)', defaultText: '2'},
    {name: 'start', value: 'K', help: 'first frame of the video', defaultText: '0'},
    {name: 'size', value: 'WxH', help: 'input size for every model (fully convolutional models only)', defaultText: "each model's"},
    {name: 'px', value: 'N', help: 'keypoint agreement tolerance in source pixels', defaultText: '3'},
    {name: 'out', value: 'DIR', help: 'output folder', defaultText: 'benchmarks/results/<date>-<machine>'},
    {name: 'machine', value: 'NAME', help: 'machine label in the folder name and the report', defaultText: 'CPU model and core count'},
    {name: 'readme', help: 'do not run: regenerate the README benchmark section from benchmarks/results/*/results.json'},
    {name: 'quiet', help: 'no progress on stderr'},
  ],
  notes: 'Example: npm run bench -- --models movenet-lightning,posenet --videos vtest,pose_1 --backends delta-cpu,cpu,wasm --thresholds 0,2%',
};

interface BenchPlan {
  models: ResolvedModel[];
  videos: string[];
  backends: BackendName[];
  skipped: Array<{backend: string; why: string}>;
  inputThresholds: Array<{text: string; value: number; percent: boolean}>;
  actThresholds: number[];
  frames: number;
  warmup: number;
  start: number;
  pxTolerance: number;
  outDir: string;
  machine: string;
  quiet: boolean;
}

export function planBench(args: ParsedArgs): BenchPlan {
  const size = stringOption(args, 'size');
  const sizeWH = size ? parseSize(size, 'size') : undefined;
  const models = listOption(args, 'models', ['movenet-lightning']).map((m) => resolveModel(m, {size: sizeWH}));
  requireFfmpeg();
  const videos = listOption(args, 'videos', ['sample']).map((v) => resolveVideo(v));
  for (const v of videos) probeVideo(v);
  const skipped: BenchPlan['skipped'] = [];
  const backends = listOption(args, 'backends', ['delta-cpu', 'cpu', 'wasm']).map((b) => parseBackend(b, 'backends', true)).filter((b) => {
    const a = isDeltaBackend(b) ? deltaAvailability(b) : denseAvailability(b as DenseBackendName);
    if (!a.ok) skipped.push({backend: b, why: a.why});
    return a.ok;
  });
  if (!backends.length) throw new UsageError(`none of the backends can run here: ${skipped.map((s) => `${s.backend}: ${s.why}`).join('; ')}`);
  // Dense first (cpu first of all): the first dense backend's outputs are what the others are compared with.
  const order = (b: BackendName) => (b === 'cpu' ? 0 : isDeltaBackend(b) ? 2 : 1);
  backends.sort((a, b) => order(a) - order(b));
  const info = machineInfo();
  const machine = stringOption(args, 'machine') ?? machineSlug(info);
  if (!/^[A-Za-z0-9._-]+$/.test(machine)) throw new UsageError(`--machine: letters, digits, . _ - only, got '${machine}'`);
  const date = new Date().toISOString().slice(0, 10);
  return {
    models, videos, backends, skipped,
    inputThresholds: listOption(args, 'thresholds', ['0', '2%']).map((t) => parseThreshold(t, 'thresholds', true)),
    actThresholds: listOption(args, 'act-thresholds', ['0']).map((t) => parseThreshold(t, 'act-thresholds', false).value),
    frames: intOption(args, 'frames', 20, 1, 100000), warmup: intOption(args, 'warmup', 2, 1, 1000),
    start: intOption(args, 'start', 0, 0), pxTolerance: numberOption(args, 'px', 3),
    outDir: resolve(stringOption(args, 'out') ?? join(packageRoot(), 'benchmarks', 'results', `${date}-${machine}`)),
    machine, quiet: args.has('quiet'),
  };
}

interface KernelTime { kernel: string; ms: number; calls: number }

export interface BenchCell {
  model: string; video: string; inputSize: [number, number]; backend: string;
  inputThreshold: number | null; inputThresholdGiven: string | null; actThreshold: number | null;
  frames: number; warmup: number;
  latencyMs: {median: number; p90: number; mean: number; min: number; perFrame: number[]};
  /** Agreement with the first dense backend of the matrix (the reference), over the timed frames. */
  reference: string | null;
  agreement: {keypointsWithin: number | null; keypointMedianPx: number | null; maxAbs: number; maxRel: number} | null;
  delta: {macCeiling: number; meanActive: number; densePerFrameMMacs: number; performedPerFrameMMacs: number; slots: number} | null;
  profile: {totalKernelMs: number; kernels: KernelTime[]};
  leakedTensors: number;
}

/** tf.profile of one frame: per kernel name total ms and calls, without `__op` scopes (double counts). */
async function profileFrame(model: GraphModel, spec: ResolvedModel['spec'], frame: Uint8Array): Promise<BenchCell['profile']> {
  const info = await tf.profile(async () => { await runFrame(model, spec, frame); });
  const byName = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue;
    const e = byName.get(k.name) ?? {kernel: k.name, ms: 0, calls: 0};
    e.ms += k.kernelTimeMs as number; e.calls++;
    byName.set(k.name, e);
  }
  const kernels = [...byName.values()].sort((a, b) => b.ms - a.ms);
  return {totalKernelMs: kernels.reduce((a, k) => a + k.ms, 0), kernels: kernels.map((k) => ({...k, ms: +k.ms.toFixed(3)}))};
}

export async function runBench(plan: BenchPlan): Promise<void> {
  const log = (line = '') => process.stdout.write(line + '\n');
  const started = new Date();
  const deltaSettings = plan.inputThresholds.flatMap((i) => plan.actThresholds.map((a) => ({i, a})));
  const cellsPerPair = plan.backends.reduce((n, b) => n + (isDeltaBackend(b) ? deltaSettings.length : 1), 0);
  const perCell = plan.warmup + plan.frames + 1;
  const progress = new Progress(plan.models.length * plan.videos.length * cellsPerPair * perCell, process.stderr, !plan.quiet);
  for (const s of plan.skipped) log(`skipping backend ${s.backend}: ${s.why}`);
  const cells: BenchCell[] = [];

  for (const resolved of plan.models) {
    const spec = resolved.spec;
    for (const video of plan.videos) {
      const clip: Clip = decodeFrames(video, {start: plan.start, count: perCell, width: spec.width, height: spec.height, fit: spec.fit});
      let reference: {backend: string; outputs: OutputValues[][]} | null = null;
      for (const backend of plan.backends) {
        await useBackend(backend);
        const model = await loadModelFile(resolved.file, resolved.inputSizeRewrite);
        const settings = isDeltaBackend(backend) ? deltaSettings : [null];
        for (const setting of settings) {
          const inputThreshold = setting ? (setting.i.percent ? (setting.i.value / 100) * (spec.range[1] - spec.range[0]) : setting.i.value) : null;
          if (setting) {
            delta.configure({inputThreshold: inputThreshold!, threshold: setting.a, thresholds: {}});
            delta.reset();
          }
          const label = `${spec.name} / ${basename(video)} / ${backend}${setting ? ` in ${num(inputThreshold!)} act ${num(setting.a)}` : ''}`;
          progress.start(label);
          const before = tf.memory().numTensors;
          for (let f = 0; f < plan.warmup; f++) { await runFrame(model, spec, clip.frames[f]); progress.step(); }
          const perFrame: number[] = [];
          const outputs: OutputValues[][] = [];
          let denseMacs = 0, performedMacs = 0, slots = 0;
          const active: number[] = [];
          for (let f = plan.warmup; f < plan.warmup + plan.frames; f++) {
            const r = await runFrame(model, spec, clip.frames[f]);
            perFrame.push(r.ms);
            outputs.push(r.outputs);
            if (setting) {
              const st = delta.stats();
              denseMacs += st.totals.denseMacs; performedMacs += st.totals.performedMacs; slots = st.layers.length;
              active.push(mean(st.layers.filter((l) => l.mode === 'delta').map((l) => l.activeFraction)));
            }
            progress.step();
          }
          const profile = await profileFrame(model, spec, clip.frames[plan.warmup + plan.frames]);
          progress.step();
          const leakedTensors = tf.memory().numTensors - before;
          let agreement: BenchCell['agreement'] = null;
          if (!reference && !setting) reference = {backend, outputs};
          else if (reference) agreement = compare(spec, clip, outputs, reference.outputs, plan.pxTolerance);
          const cell: BenchCell = {
            model: spec.name, video: basename(video), inputSize: [spec.width, spec.height], backend,
            inputThreshold, inputThresholdGiven: setting?.i.text ?? null, actThreshold: setting?.a ?? null,
            frames: plan.frames, warmup: plan.warmup,
            latencyMs: {median: median(perFrame), p90: percentile(perFrame, 90), mean: mean(perFrame), min: Math.min(...perFrame), perFrame},
            reference: reference && reference.backend !== backend ? reference.backend : null, agreement,
            delta: setting ? {macCeiling: performedMacs > 0 ? denseMacs / performedMacs : Infinity, meanActive: mean(active),
              densePerFrameMMacs: denseMacs / plan.frames / 1e6, performedPerFrameMMacs: performedMacs / plan.frames / 1e6, slots} : null,
            profile, leakedTensors,
          };
          cells.push(cell);
          progress.end(`median ${ms(cell.latencyMs.median)} ms${cell.delta ? `, MAC ceiling ${times(cell.delta.macCeiling)}` : ''}`);
        }
        model.dispose();
      }
    }
  }
  const info = machineInfo();
  const result = {
    tool: 'tfjs-delta bench', date: started.toISOString(), finished: new Date().toISOString(), command: process.argv.slice(2),
    machine: {...info, label: plan.machine},
    conventions: `tfjs e2e benchmark conventions: ${plan.warmup} warm-up frame(s), then ${plan.frames} timed frames of consecutive video; ` +
      'each timed frame = model.execute + await data() of every output (input tensor made before the timer); one more frame ' +
      'under tf.profile for the kernel breakdown (entries named *__op are op scopes enclosing listed kernels: left out); ' +
      'leakedTensors = tf.memory().numTensors after the cell minus before',
    skipped: plan.skipped,
    cells,
  };
  mkdirSync(plan.outDir, {recursive: true});
  writeFileSync(join(plan.outDir, 'results.json'), JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');
  const md = reportMarkdown(result);
  writeFileSync(join(plan.outDir, 'results.md'), md);
  log();
  log(md);
  log(`wrote ${relative(process.cwd(), join(plan.outDir, 'results.json'))}, results.md`);
}

function compare(spec: ResolvedModel['spec'], clip: Clip, outputs: OutputValues[][], ref: OutputValues[][], px: number): BenchCell['agreement'] {
  const errors = new ErrorAccumulator();
  const distances: number[] = [];
  outputs.forEach((outs, f) => {
    outs.forEach((o, i) => errors.add(o.values, ref[f][i].values));
    if (spec.pose) distances.push(...keypointDistances(decodeKeypoints(spec.pose, outs, clip), decodeKeypoints(spec.pose, ref[f], clip)));
  });
  return {keypointsWithin: distances.length ? distances.filter((d) => d <= px).length / distances.length : null,
    keypointMedianPx: distances.length ? median(distances) : null, maxAbs: errors.maxAbs, maxRel: errors.maxRel};
}

// ---------------------------------------------------------------- reports

interface BenchResultFile {
  date: string; machine: MachineInfo & {label: string}; conventions: string; skipped: Array<{backend: string; why: string}>;
  cells: BenchCell[];
}

/** The markdown report of one results.json: one table, rows grouped by model and video. */
export function reportMarkdown(r: BenchResultFile): string {
  const m = r.machine;
  const lines = [`### ${r.date.slice(0, 10)}, ${m.label}: ${m.cpu}, ${m.cores} cores, Node ${m.node}, tfjs ${m.tfjs}`, '',
    `Per frame: median (p90) ms of model.execute + output download, ${r.cells[0]?.frames ?? 0} timed frames after ` +
    `${r.cells[0]?.warmup ?? 0} warm-up. Speedup against the dense backends in the same run. Agreement: with the first dense ` +
    'backend (cpu): share of keypoints within 3 px of the source frame (pose models) and max |output difference|. ' +
    'MAC ceiling = dense MACs / MACs performed by the delta kernels. Top kernels from tf.profile of one more frame.', ''];
  const denseBackends = [...new Set(r.cells.filter((c) => !c.inputThresholdGiven && c.actThreshold === null).map((c) => c.backend))];
  const rows = r.cells.map((c) => {
    const same = r.cells.filter((d) => d.model === c.model && d.video === c.video);
    const speedups = denseBackends.map((b) => {
      const ref = same.find((d) => d.backend === b);
      return ref && ref !== c ? times(ref.latencyMs.median / c.latencyMs.median) : '';
    });
    const a = c.agreement;
    const agreement = a ? (a.keypointsWithin !== null ? `${pct(a.keypointsWithin, 0)} kp, ${sci(a.maxAbs)}` : sci(a.maxAbs)) : 'reference';
    const setting = c.inputThresholdGiven !== null ? `${c.inputThresholdGiven}${c.inputThresholdGiven.endsWith('%') ? ` = ${num(c.inputThreshold!)}` : ''}` +
      (c.actThreshold ? ` / ${num(c.actThreshold)}` : '') : '';
    const top = c.profile.kernels.slice(0, 3).map((k) => `${k.kernel} ${ms(k.ms)}`).join(', ');
    return [c.model, `${c.video} ${c.inputSize.join('x')}`, c.backend, setting, `${ms(c.latencyMs.median)} (${ms(c.latencyMs.p90)})`,
      ...speedups, agreement, c.delta ? `${times(c.delta.macCeiling)} (${pct(c.delta.meanActive, 0)})` : '', String(c.leakedTensors), top];
  });
  lines.push(markdownTable(['model', 'video, input', 'backend', 'input thr.', ' ms/frame', ...denseBackends.map((b) => ` vs ${b}`), 'agreement',
    ' MAC ceiling (mean active)', ' leaked', 'top kernels (ms)'], rows));
  if (r.skipped.length) lines.push('', `Skipped: ${r.skipped.map((s) => `${s.backend} (${s.why})`).join('; ')}.`);
  const loads = m.loadAverage ? ` Load average at the end: ${m.loadAverage.join(', ')}.` : '';
  lines.push('', `Dense MMACs per frame: ${[...new Set(r.cells.filter((c) => c.delta).map((c) => `${c.model} ${mmacs(c.delta!.densePerFrameMMacs * 1e6)}`))].join(', ')}.${loads}`);
  return lines.join('\n') + '\n';
}

const BEGIN = '<!-- bench:begin (generated by `npm run bench:readme` from benchmarks/results/*/results.json; do not edit) -->';
const END = '<!-- bench:end -->';

/** Rewrites the README section between the bench markers from every results folder, newest first. */
export function writeReadmeSection(_args: ParsedArgs): void {
  const root = packageRoot();
  const dir = join(root, 'benchmarks', 'results');
  const files = existsSync(dir) ? readdirSync(dir).map((d) => join(dir, d, 'results.json')).filter(existsSync).sort().reverse() : [];
  if (!files.length) throw new CliError(`no benchmarks/results/*/results.json yet: run npm run bench first`);
  const sections = files.map((f) => {
    const r = JSON.parse(readFileSync(f, 'utf8')) as BenchResultFile;
    return reportMarkdown(r).replace(/\n$/, '') + `\n\n(${relative(root, f)})`;
  });
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf('<!-- bench:begin'), b = text.indexOf(END);
  if (a < 0 || b < a) throw new CliError(`README.md has no benchmark markers (<!-- bench:begin --> ... ${END})`);
  const updated = text.slice(0, a) + BEGIN + '\n\n' + sections.join('\n\n') + '\n\n' + text.slice(b);
  writeFileSync(readme, updated);
  process.stdout.write(`README.md: benchmark section from ${files.map((f) => relative(root, f)).join(', ')}\n`);
}
