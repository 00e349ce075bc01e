// The tfjs-delta CLI end to end, as a user runs it (a child process on the built package):
//  - `tfjs-delta run` with no arguments: movenet-lightning (from the @vladmandic/human dependency) on the
//    sample clip shipped under benchmarks/sample, on the best backend (delta-cpu here, and it says why);
//  - exact mode (thresholds 0) gives the dense keypoints, result.json has sane figures, SVGs are XML,
//    --render writes PNGs; posenet by model.json path with a 2% input threshold (= 0.04 for [-1,1] input);
//  - a small bench matrix (warm-up, profile without __op entries, no leaked tensors);
//  - every bad argument: one line on stderr, non-zero exit, no stack trace.
// Budget: about a minute on 2 cores (few frames; the no-argument run is the longest, ~30 s).
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {inflateSync} from 'node:zlib';
import {repoRoot, setupData} from '../util/video';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 10 * 60 * 1000;

const root = repoRoot();
const MAIN = join(root, 'dist', 'cjs', 'cli', 'main.js');

interface Cli { status: number | null; stdout: string; stderr: string; seconds: number }

function cli(args: string[], cwd = root): Cli {
  const t0 = Date.now();
  const env = {...process.env};
  delete env.TFJS_DELTA_DEBUG;
  const r = spawnSync(process.execPath, [MAIN, ...args], {cwd, env, encoding: 'utf8', maxBuffer: 64 << 20});
  return {status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - t0) / 1000};
}

/** Well-formedness of an SVG file: balanced tags, quoted attributes, escaped text (no XML parser in Node). */
function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  const re = /<([^>]*)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[2] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(m[2])) problems.push(`unescaped & in text: ${m[2].slice(0, 40)}`);
      continue;
    }
    const tag = m[1];
    if (tag.startsWith('!--')) continue;
    const name = /^\/?([A-Za-z][\w:.-]*)/.exec(tag)?.[1];
    if (!name) { problems.push(`bad tag <${tag.slice(0, 40)}>`); continue; }
    const attrs = tag.replace(/^\/?[\w:.-]+/, '').replace(/\/$/, '');
    if (!/^(\s+[\w:.-]+="[^"<]*")*\s*$/.test(attrs)) problems.push(`bad attributes in <${tag.slice(0, 60)}>`);
    if (tag.startsWith('/')) {
      if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
    } else if (!tag.endsWith('/')) {
      stack.push(name);
    }
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  if (!/^<svg[\s>]/.test(body)) problems.push('root is not <svg>');
  return problems;
}

function expectSvg(file: string) {
  expect(existsSync(file)).withContext(file).toBe(true);
  if (existsSync(file)) expect(xmlProblems(readFileSync(file, 'utf8'))).withContext(file).toEqual([]);
}

/** A PNG written by --render: signature, IHDR size, and IDAT that inflates to the right byte count. */
function pngSize(file: string): [number, number] | null {
  const b = readFileSync(file);
  if (b.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') return null;
  const w = b.readUInt32BE(16), h = b.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let o = 8; o < b.length;) {
    const len = b.readUInt32BE(o), type = b.toString('ascii', o + 4, o + 8);
    if (type === 'IDAT') idat.push(b.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return inflateSync(Buffer.concat(idat)).length === (w * 3 + 1) * h ? [w, h] : null;
}

// ---- result.json (the fields the specs look at)
interface RunResult {
  backend: {delta: string; reference: string; why: string[]};
  model: {name: string; inputSize: number[]; range: number[]};
  video: {frames: number; sample: boolean};
  dense: {latencyMs: {median: number; perFrame: number[]}};
  runs: Array<{
    label: string; exact: boolean; inputThreshold: number; threshold: number; speedup: number;
    latencyMs: {median: number; p90: number; perFrame: number[]};
    agreement: {keypoints: {withinShare: number; medianPx: number; maxPx: number} | null; outputs: {maxAbs: number; maxRel: number}};
    macs: {densePerFrame: number; performedPerFrame: number; ceiling: number};
    meanActiveFraction: number; inputSentFraction: number; leakedTensors: number;
    replay: {replayedFrames: number; recordedFrames: number; eagerFrames: number; mismatches: number; calls: number} | null;
    layers: Array<{name: string; meanActive: number | null; skippedShare: number; activePerFrame: Array<number | null>; deltaPerFrame: boolean[]}>;
  }>;
}
const readResult = (dir: string) => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as RunResult;

function expectSaneRun(r: RunResult['runs'][number], frames: number) {
  expect(r.latencyMs.perFrame.length).toBe(frames);
  expect(r.latencyMs.median).toBeGreaterThan(0);
  expect(Number.isFinite(r.speedup) && r.speedup > 0).withContext(`speedup ${r.speedup}`).toBe(true);
  expect(r.macs.densePerFrame).toBeGreaterThan(0);
  expect(r.macs.ceiling).toBeGreaterThanOrEqual(0.999);
  expect(r.meanActiveFraction).toBeGreaterThan(0);
  expect(r.meanActiveFraction).toBeLessThanOrEqual(1);
  expect(r.leakedTensors).toBe(0);
  const deltaLayers = r.layers.filter((l) => l.deltaPerFrame.some(Boolean));
  expect(deltaLayers.length).toBeGreaterThan(10);
  for (const l of deltaLayers) {
    expect(l.activePerFrame.length).toBe(frames);
    expect(l.deltaPerFrame[0]).withContext(`${l.name}: frame 0 seeds densely`).toBe(false);
  }
}

describe('tfjs-delta CLI', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tfjs-delta-cli-'));
    expect(existsSync(MAIN)).withContext(`${MAIN} (npm run build)`).toBe(true);
  });
  afterAll(() => rmSync(tmp, {recursive: true, force: true}));

  it('run with no arguments: movenet-lightning on the shipped sample, best backend named with the reason', () => {
    const cwd = mkdtempSync(join(tmp, 'noargs-'));
    const r = cli(['run'], cwd);
    console.log(`[cli] tfjs-delta run (no arguments): exit ${r.status} in ${r.seconds.toFixed(1)} s`);
    expect(r.status).withContext(r.stderr).toBe(0);
    expect(r.stdout).toContain('movenet-lightning');
    expect(r.stdout).toContain('vtest-48.mp4 (the sample clip shipped in the package)');
    // Here (no GPU): delta-cpu, with the reason the GPU backends were passed over (not built, or no device).
    expect(r.stdout).toMatch(/backend delta-cpu, dense reference cpu; delta-cuda: [^;]+; delta-webgpu: [^;]+; delta-cpu: /);
    expect(r.stdout).toContain('2% of 0..255 = 5.1');
    expect(r.stdout).toMatch(/Layers that skip the most MACs/);
    const out = join(cwd, 'tfjs-delta-out');
    const res = readResult(out);
    expect(res.backend.delta).toBe('delta-cpu');
    expect(res.video.sample).toBe(true);
    expect(res.runs.length).toBe(1);
    expect(res.runs[0].inputThreshold).toBeCloseTo(5.1, 6);
    expectSaneRun(res.runs[0], res.video.frames);
    expect(res.runs[0].agreement.keypoints!.withinShare).toBeGreaterThan(0.5);
    expectSvg(join(out, 'latency.svg'));
    expectSvg(join(out, 'active-1.svg'));
  });

  it('exact mode gives the dense keypoints; --render writes PNG frames', () => {
    const out = join(tmp, 'exact');
    const r = cli(['run', '--input-threshold', '0', '--frames', '4', '--render', '--out', out, '--quiet']);
    expect(r.status).withContext(r.stderr).toBe(0);
    expect(r.stderr).toBe('');                                       // --quiet: no progress
    const res = readResult(out);
    const run = res.runs[0];
    expect(run.exact).toBe(true);
    expectSaneRun(run, 4);
    expect(run.agreement.keypoints!.withinShare).toBe(1);
    expect(run.agreement.keypoints!.maxPx).toBeLessThan(0.01);
    expect(run.agreement.outputs.maxRel).toBeLessThan(1e-4);
    expect(existsSync(join(out, 'speed-vs-threshold.svg'))).toBe(false);   // one setting only
    const frames = join(out, 'frames', readdirSync(join(out, 'frames'))[0]);
    const pngs = readdirSync(frames).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBe(4);
    expect(pngSize(join(frames, pngs[1]))).toEqual([384, 384]);      // 192x192 input drawn at 2x
  });

  it('posenet by model.json path: exact keypoints, 2% input threshold = 0.04 on [-1,1], speed vs threshold plot', () => {
    const file = setupData().models.posenet;
    expect(file).withContext('posenet in the test cache (scripts/setup-data.mjs)').toBeTruthy();
    if (!file) return;
    const out = join(tmp, 'posenet');
    const r = cli(['run', '--model', file, '--video', join(root, 'benchmarks', 'sample', 'vtest-48.mp4'), '--backend', 'delta-cpu',
      '--frames', '3', '--input-threshold', '0,2%', '--out', out]);
    expect(r.status).withContext(r.stderr).toBe(0);
    expect(r.stdout).toContain('2% of -1..1 = 0.04');
    const res = readResult(out);
    expect(res.model.name).toBe('posenet');                          // recognised by its sha256
    expect(res.model.inputSize).toEqual([257, 257]);
    expect(res.runs.map((x) => x.inputThreshold)).toEqual([0, 0.04]);
    expect(res.runs[0].agreement.keypoints!.withinShare).toBe(1);
    expect(res.runs[0].agreement.outputs.maxRel).toBeLessThan(1e-4);
    for (const run of res.runs) expectSaneRun(run, 3);
    expect(res.runs[1].inputSentFraction).toBeLessThan(res.runs[0].inputSentFraction);
    for (const f of ['latency.svg', 'active-1.svg', 'active-2.svg', 'speed-vs-threshold.svg']) expectSvg(join(out, f));
  });

  it('run --replay: frames after two recorded ones replay; same keypoints and errors as without it', () => {
    const outs = ['plain', 'replay'].map((k) => join(tmp, `replay-${k}`));
    const common = ['run', '--backend', 'delta-cpu', '--frames', '5', '--input-threshold', '0,2%', '--quiet'];
    const a = cli([...common, '--out', outs[0]]);
    const b = cli([...common, '--replay', '--out', outs[1]]);
    expect(a.status).withContext(a.stderr).toBe(0);
    expect(b.status).withContext(b.stderr).toBe(0);
    expect(b.stdout).toMatch(/replay \(in 0 act 0\): 3 of 5 frames replayed/);
    const [plain, replayed] = outs.map(readResult);
    replayed.runs.forEach((run, i) => {
      expectSaneRun(run, 5);
      expect(run.replay).withContext(`run ${i}`).toEqual(jasmine.objectContaining({replayedFrames: 3, recordedFrames: 2, eagerFrames: 0, mismatches: 0}));
      expect(run.replay!.calls).toBeGreaterThan(50);
      // the same kernels on the same slots: the same outputs as eager frames
      expect(run.agreement).toEqual(plain.runs[i].agreement);
      expect(plain.runs[i].replay).toBeNull();
    });
  });

  it('bench: a small matrix with warm-up, kernel profile without __op scopes, no leaks', () => {
    const out = join(tmp, 'bench');
    const r = cli(['bench', '--models', 'movenet-lightning', '--videos', 'sample', '--backends', 'delta-cpu,cpu,wasm,webgpu',
      '--thresholds', '2%', '--frames', '2', '--warmup', '1', '--out', out, '--quiet']);
    expect(r.status).withContext(r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {cells: Array<{backend: string; leakedTensors: number;
      latencyMs: {perFrame: number[]}; profile: {kernels: Array<{kernel: string; ms: number}>}; agreement: unknown; delta: unknown}>;
      skipped: Array<{backend: string}>};
    // webgpu runs where Dawn + a Vulkan driver are installed (CI: scripts/webgpu/setup.sh), else it is skipped.
    const webgpu = !res.skipped.some((s) => s.backend === 'webgpu');
    expect(res.skipped.map((s) => s.backend)).toEqual(webgpu ? [] : ['webgpu']);
    expect(res.cells.map((c) => c.backend).sort()).toEqual(['cpu', 'wasm', ...(webgpu ? ['webgpu'] : []), 'delta-cpu'].sort());
    for (const c of res.cells) {
      expect(c.latencyMs.perFrame.length).toBe(2);
      expect(c.leakedTensors).withContext(c.backend).toBe(0);
      expect(c.profile.kernels.length).toBeGreaterThan(5);
      expect(c.profile.kernels.some((k) => k.kernel.endsWith('__op'))).toBe(false);
    }
    expect(res.cells[0].agreement).toBeNull();                        // cpu is the reference
    expect(res.cells.find((c) => c.backend === 'delta-cpu')!.delta).not.toBeNull();
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/\| movenet-lightning \| vtest-48\.mp4 192x192 \| delta-cpu \| 2% = 5\.1 \|/);
  });

  describe('bad arguments: one line on stderr, non-zero exit, no stack trace', () => {
    let notVideo: string;
    beforeAll(() => {
      notVideo = join(tmp, 'not-a-video.mp4');
      writeFileSync(notVideo, 'this is not a video\n');
    });
    const cases: Array<[string, () => string[], RegExp]> = [
      ['missing model file', () => ['run', '--model', join(tmp, 'missing.json')], /model file not found/],
      ['unknown model name', () => ['run', '--model', 'no-such-model'], /unknown model name 'no-such-model'/],
      ['missing video file', () => ['run', '--video', join(tmp, 'missing.mp4')], /video file not found/],
      ['video ffmpeg cannot read', () => ['run', '--video', notVideo], /ffmpeg cannot read .*not-a-video\.mp4/],
      ['size not matching a fixed model input', () => ['run', '--size', '256x256'], /does not match the fixed input of movenet-lightning: 192x192/],
      ['size a fully convolutional model cannot take', () => ['run', '--model', 'posenet', '--size', '300x300'], /needs W and H = 16k\+1/],
      ['unknown backend', () => ['run', '--backend', 'delta-tpu'], /unknown backend 'delta-tpu'/],
      ['backend not in this build', () => ['run', '--backend', 'delta-cuda'], /--backend delta-cuda cannot run here: /],
      ['bad threshold', () => ['run', '--threshold', 'abc'], /'abc' is not a threshold/],
      ['negative input threshold', () => ['run', '--input-threshold', '-0.1'], /is not a threshold/],
      ['percent activation threshold', () => ['run', '--threshold', '2%'], /percentage is only defined for --input-threshold/],
      ['too few frames', () => ['run', '--frames', '1'], /--frames must be between 2/],
      ['more frames than the video has', () => ['run', '--frames', '500'], /has about 48 frames/],
      ['malformed size', () => ['run', '--size', 'big'], /--size must be WxH/],
      ['unknown option', () => ['run', '--colour', 'red'], /unknown option --colour/],
      ['missing option value', () => ['run', '--frames'], /--frames needs a value/],
      ['unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/],
      ['bench with an unknown backend', () => ['bench', '--backends', 'tpu'], /unknown backend 'tpu'/],
    ];
    for (const [name, args, message] of cases) {
      it(name, () => {
        const r = cli(args());
        expect(r.status).withContext(r.stderr).not.toBe(0);
        expect(r.status).not.toBeNull();
        expect(r.stdout).toBe('');
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines.length).withContext(r.stderr).toBe(1);
        expect(lines[0]).toMatch(/^tfjs-delta: /);
        expect(lines[0]).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
    }
  });

  it('--help lists every option of run; no command prints the overview', () => {
    const help = cli(['run', '--help']);
    expect(help.status).toBe(0);
    for (const o of ['--model', '--video', '--backend', '--threshold', '--input-threshold', '--frames', '--start', '--size', '--batch',
      '--out', '--render']) expect(help.stdout).toContain(o);
    expect(help.stdout).toContain('0.02 for [0,1] input');
    const top = cli([]);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('tfjs-delta <command>');
  });
});
