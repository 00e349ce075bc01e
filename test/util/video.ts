// Test data access: runs scripts/setup-data.mjs (once per process) for the test clips, models and ffmpeg,
// and decodes frames with the package's own video helpers (tfjs-backend-delta/cli, shared with the
// tfjs-delta CLI) using the ffmpeg setup-data found.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import * as cli from 'tfjs-backend-delta/cli';
import type {Clip, DecodeOptions} from 'tfjs-backend-delta/cli';

export type {Clip, DecodeOptions} from 'tfjs-backend-delta/cli';
export {changedFraction} from 'tfjs-backend-delta/cli';

export interface DataIndex {
  cache: string;
  models: Record<string, string>;               // name -> path of model.json
  clips: Record<string, string | null>;         // 'vtest', 'pose_1' -> path (null: not available)
  references: Record<string, string | null>;    // 'pose_1' -> pose_1.json (MoveNet keypoints per frame)
  ffmpeg: string | null;
}

/** The repository root: the nearest directory upwards with this package's package.json. */
export function repoRoot(): string {
  return cli.packageRoot(__dirname);
}

let index: DataIndex | undefined;
/** Uses an index obtained elsewhere (a worker gets its parent's, instead of running the script again). */
export function setDataIndex(i: DataIndex): void { index = i; }
/** Runs scripts/setup-data.mjs (idempotent, cached) once per process and returns its index. */
export function setupData(): DataIndex {
  if (index) return index;
  const root = repoRoot();
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'setup-data.mjs')], {cwd: root, stdio: 'inherit'});
  const cache = resolve(process.env.DELTA_CACHE || join(root, '.cache'));
  const file = join(cache, 'data.json');
  if (!existsSync(file)) throw new Error(`scripts/setup-data.mjs exited ${r.status} and wrote no ${file}`);
  index = JSON.parse(readFileSync(file, 'utf8')) as DataIndex;
  if (r.status !== 0) console.warn(`scripts/setup-data.mjs exited ${r.status}: some test data is missing`);
  return index;
}

/** Width and height of the clip's video stream. */
export function clipSize(file: string, ffmpeg = setupData().ffmpeg ?? undefined): [number, number] {
  return cli.clipSize(file, ffmpeg);
}

/** Decodes `count` consecutive frames starting at `start`, scaled to width x height, RGB uint8. */
export function decodeFrames(file: string, opts: DecodeOptions): Clip {
  return cli.decodeFrames(file, {...opts, ffmpeg: opts.ffmpeg ?? setupData().ffmpeg ?? undefined});
}
