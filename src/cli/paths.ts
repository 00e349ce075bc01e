/**
 * Where things are: this package's root (the shipped sample clip lives under it), the data cache of
 * scripts/setup-data.mjs (models and clips of a checkout), and the video names the CLI knows.
 */
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {CliError} from './errors';

/** The package root: the nearest directory upwards with this package's package.json. */
export function packageRoot(from = __dirname): string {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name === 'tfjs-backend-delta') return d;
    if (dirname(d) === d) return process.cwd();
  }
}

/** The cache of scripts/setup-data.mjs: $DELTA_CACHE, else <package root>/.cache. */
export function cacheDir(): string {
  return resolve(process.env.DELTA_CACHE || join(packageRoot(), '.cache'));
}

/** The sample clip shipped in the package: 48 frames of vtest.avi (see benchmarks/sample/README.md). */
export function sampleClip(): string {
  return join(packageRoot(), 'benchmarks', 'sample', 'vtest-48.mp4');
}

/** Clip names the CLI accepts besides file paths: the shipped sample, and the test clips when present. */
export function knownClips(): Record<string, string | null> {
  const clips: Record<string, string | null> = {sample: sampleClip(), vtest: null, pose_1: null};
  // The index written by scripts/setup-data.mjs, else the shared data folder next to the checkout.
  const index = join(cacheDir(), 'data.json');
  if (existsSync(index)) {
    try {
      const data = JSON.parse(readFileSync(index, 'utf8')) as {clips?: Record<string, string | null>};
      for (const [name, file] of Object.entries(data.clips ?? {})) if (file && existsSync(file)) clips[name] = file;
    } catch { /* a broken index only loses the names */ }
  }
  const shared = resolve(process.env.DELTA_SHARED_DATA || join(packageRoot(), '..', 'shared', 'data'));
  for (const [name, file] of [['vtest', 'vtest.avi'], ['pose_1', 'pose_1.mp4']]) {
    if (!clips[name] && existsSync(join(shared, file))) clips[name] = join(shared, file);
  }
  return clips;
}

/** A `--video` argument: an existing file, or a known clip name. */
export function resolveVideo(arg: string): string {
  if (existsSync(arg)) return arg;
  const clips = knownClips();
  if (arg in clips) {
    const file = clips[arg];
    if (file && existsSync(file)) return file;
    throw new CliError(`video '${arg}' is not available here (in a checkout: node scripts/setup-data.mjs)`);
  }
  throw new CliError(`video file not found: ${arg}`);
}
