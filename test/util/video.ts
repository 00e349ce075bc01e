// Test data access: runs scripts/setup-data.mjs (once per process) and decodes frames of the test
// clips with ffmpeg into RGB uint8 arrays (rawvideo rgb24), scaled to a model's input size.
import {spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';

export interface DataIndex {
  cache: string;
  models: Record<string, string>;               // name -> path of model.json
  clips: Record<string, string | null>;         // 'vtest', 'pose_1' -> path (null: not available)
  references: Record<string, string | null>;    // 'pose_1' -> pose_1.json (MoveNet keypoints per frame)
  ffmpeg: string | null;
}

/** The repository root: the nearest directory upwards with this package's package.json. */
export function repoRoot(): string {
  for (let d = __dirname; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name === 'tfjs-backend-delta') return d;
    if (dirname(d) === d) return process.cwd();
  }
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

export interface DecodeOptions {
  start?: number;          // first frame (0-based, in decode order = display order for these clips)
  count: number;           // number of consecutive frames
  width: number;           // output size: every frame is scaled to width x height
  height: number;
  /** 'stretch' (default): scale to width x height. 'pad': keep the aspect ratio, scale to fit and pad
   *  with black, centered (letterbox), as MoveNet's preprocessing pads to a square. */
  fit?: 'stretch' | 'pad';
  ffmpeg?: string;
}

export interface Clip {
  frames: Uint8Array[];    // count frames, each height*width*3 bytes, RGB, row-major (HWC)
  width: number;
  height: number;
  /** The mapping from output pixels back to the source clip: src = (out - pad) * scale. */
  sourceWidth: number;
  sourceHeight: number;
  scaleX: number; scaleY: number; padX: number; padY: number;
}

const probeCache = new Map<string, [number, number]>();
/** Width and height of the clip's video stream (parsed from ffmpeg's stream line; no ffprobe). */
export function clipSize(file: string, ffmpeg = setupData().ffmpeg!): [number, number] {
  const hit = probeCache.get(file);
  if (hit) return hit;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-i', file], {encoding: 'utf8'});
  const m = /Stream #\S+.*Video:.*?, (\d{2,5})x(\d{2,5})/.exec(r.stderr);
  if (!m) throw new Error(`cannot read the video size of ${file}: ${r.stderr.slice(-500)}`);
  const size: [number, number] = [Number(m[1]), Number(m[2])];
  probeCache.set(file, size);
  return size;
}

const decodeCache = new Map<string, Clip>();
/** Decodes `count` consecutive frames starting at `start`, scaled to width x height, RGB uint8. */
export function decodeFrames(file: string, opts: DecodeOptions): Clip {
  const ffmpeg = opts.ffmpeg ?? setupData().ffmpeg;
  if (!ffmpeg) throw new Error('no ffmpeg (see scripts/setup-data.mjs)');
  const {count, width, height} = opts;
  const start = opts.start ?? 0;
  const fit = opts.fit ?? 'stretch';
  const key = JSON.stringify([file, start, count, width, height, fit]);
  const hit = decodeCache.get(key);
  if (hit) return hit;

  const [sw, sh] = clipSize(file, ffmpeg);
  let filter: string, scaleX: number, scaleY: number, padX = 0, padY = 0;
  if (fit === 'pad') {
    const s = Math.min(width / sw, height / sh);
    const w = Math.min(width, Math.round(sw * s)), h = Math.min(height, Math.round(sh * s));
    padX = Math.floor((width - w) / 2); padY = Math.floor((height - h) / 2);
    scaleX = sw / w; scaleY = sh / h;
    filter = `scale=${w}:${h}:flags=bilinear,pad=${width}:${height}:${padX}:${padY}:black`;
  } else {
    scaleX = sw / width; scaleY = sh / height;
    filter = `scale=${width}:${height}:flags=bilinear`;
  }
  // select by frame number: exact (no keyframe-seek inaccuracy); decoding the frames before `start`
  // is cheap for these short clips. -vsync 0 keeps one output frame per selected frame.
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file,
    '-vf', `select=between(n\\,${start}\\,${start + count - 1}),${filter}`,
    '-vsync', '0', '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const frameBytes = width * height * 3;
  const r = spawnSync(ffmpeg, args, {maxBuffer: frameBytes * count + (1 << 20)});
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-1000)}`);
  const out = r.stdout as Buffer;
  const n = Math.floor(out.length / frameBytes);
  if (n < count) throw new Error(`${file}: asked for frames ${start}..${start + count - 1}, ffmpeg returned ${n}`);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) frames.push(new Uint8Array(out.subarray(i * frameBytes, (i + 1) * frameBytes)));
  const clip: Clip = {frames, width, height, sourceWidth: sw, sourceHeight: sh, scaleX, scaleY, padX, padY};
  decodeCache.set(key, clip);
  return clip;
}

/** Share of pixels whose largest channel change (in [0,1] units) from the previous frame exceeds t. */
export function changedFraction(a: Uint8Array, b: Uint8Array, t: number): number {
  let n = 0;
  const tt = t * 255;
  for (let i = 0; i < a.length; i += 3) {
    const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
    if (d > tt) n++;
  }
  return n / (a.length / 3);
}
