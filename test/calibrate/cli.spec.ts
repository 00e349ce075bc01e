// `tfjs-delta calibrate` and `tfjs-delta run --thresholds` end to end on the shipped sample clip
// (movenet-lightning, few frames and evaluations: ~25 s on 2 cores), and their one-line errors.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import * as delta from 'tfjs-backend-delta';
import {repoRoot} from '../util/video';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 5 * 60 * 1000;
const root = repoRoot();
const MAIN = join(root, 'dist', 'cjs', 'cli', 'main.js');

function cli(args: string[]) {
  const env = {...process.env};
  delete env.TFJS_DELTA_DEBUG;
  return spawnSync(process.execPath, [MAIN, ...args], {cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20});
}

describe('tfjs-delta calibrate / run --thresholds', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'tfjs-delta-cal-')); });
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('writes a thresholds file that run --thresholds applies; another model\'s file is one line, exit 1', () => {
    const file = join(dir, 'th.json');
    const c = cli(['calibrate', '--model', 'movenet-lightning', '--frames', '3', '--target', '0.2', '--evaluations', '2', '--quiet', '--out', file]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('per-layer thresholds');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.format).toBe(delta.THRESHOLDS_FORMAT);
    expect(saved.model.keys.length).toBeGreaterThan(50);

    const out = join(dir, 'run');
    const r = cli(['run', '--model', 'movenet-lightning', '--frames', '3', '--thresholds', file, '--quiet', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    expect(result.runs.length).toBe(1);
    expect(result.runs[0].label).toContain('calibrated th.json');
    expect(result.runs[0].inputThreshold).toBe(saved.inputThreshold);

    const other = join(dir, 'other.json');
    const keys = ['0123456789abcdef:Conv2D#0', ...saved.model.keys.slice(1)];
    writeFileSync(other, JSON.stringify({...saved, model: {keys, fingerprint: delta.fingerprintOf(keys)}}));
    const m = cli(['run', '--model', 'movenet-lightning', '--frames', '3', '--thresholds', other, '--quiet', '--out', out]);
    expect(m.status).toBe(1);
    expect(m.stderr.trim().split('\n').length).toBe(1);
    expect(m.stderr).toMatch(/calibrated for another model.*1 of \d+ layers not found/);
  });

  it('--metric task calibrates movenet for keypoint agreement (>= target) and says so', () => {
    const file = join(dir, 'kp.json');
    const c = cli(['calibrate', '--model', 'movenet-lightning', '--frames', '3', '--metric', 'task', '--target', '0.9', '--evaluations', '2',
      '--quiet', '--out', file]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('keypoints(movenet, within 4 px) >= 0.9');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.metricName).toBe('keypoints(movenet, within 4 px)');
    expect(saved.metric).toBeGreaterThanOrEqual(0.9);
    expect(saved.metric).toBeLessThanOrEqual(1);
  });

  it('bad arguments: one line, exit 2', () => {
    for (const args of [['calibrate', '--target', '0.1'], ['calibrate', '--model', 'movenet-lightning'],
      ['calibrate', '--model', 'movenet-lightning', '--target', 'x'], ['calibrate', '--model', 'movenet-lightning', '--target', '0.1', '--metric', 'nope'],
      ['calibrate', '--model', 'selfie', '--target', '0.9', '--metric', 'keypoints'],
      ['calibrate', '--model', 'movenet-lightning', '--target', '5', '--metric', 'task'],
      ['calibrate', '--model', 'movenet-lightning', '--target', '0.1', '--within', '3'],
      ['run', '--thresholds', join(dir, 'missing.json')], ['run', '--thresholds', 'package.json'],
      ['run', '--thresholds', 'package.json', '--threshold', '0.1']]) {
      const r = cli(args);
      expect(r.status).withContext(args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').length).withContext(args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^tfjs-delta: /);
    }
  });
});
