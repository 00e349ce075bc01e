/**
 * Video input through ffmpeg: finding an ffmpeg binary (system first, else the npm
 * @ffmpeg-installer/ffmpeg static build), reading a clip's size, and decoding consecutive frames
 * into RGB uint8 arrays (rawvideo rgb24) scaled to a model's input size.
 */
import {spawnSync} from 'node:child_process';
import {accessSync, chmodSync, constants as fsConstants, copyFileSync, existsSync, mkdirSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CliError} from './errors';

export interface FfmpegInfo {
  path: string;
  version: string;           // first line of `ffmpeg -version`
  source: 'env' | 'system' | 'npm';
}

function ffmpegVersion(path: string): string | null {
  const r = spawnSync(path, ['-hide_banner', '-version'], {encoding: 'utf8'});
  return r.status === 0 ? r.stdout.split('\n')[0] : null;
}

/** The npm static build: its postinstall (chmod) may not have run (npm's install-script policy). */
function npmFfmpeg(): string | null {
  let path: string;
  try {
    path = (require('@ffmpeg-installer/ffmpeg') as {path: string}).path;
  } catch {
    return null;                                   // no binary for this platform, or not installed
  }
  if (!existsSync(path)) return null;
  try {
    accessSync(path, fsConstants.X_OK);
    return path;
  } catch { /* not executable yet */ }
  try {
    chmodSync(path, 0o755);
    return path;
  } catch {
    // A read-only install (global, another user): run a private executable copy instead.
    const copy = join(tmpdir(), `tfjs-delta-ffmpeg-${statSync(path).size}`);
    if (!existsSync(copy)) {
      mkdirSync(tmpdir(), {recursive: true});
      copyFileSync(path, copy);
      chmodSync(copy, 0o755);
    }
    return copy;
  }
}

let found: FfmpegInfo | null | undefined;
/**
 * The ffmpeg to use: $FFMPEG if set, else `ffmpeg` on PATH, else the npm @ffmpeg-installer/ffmpeg
 * binary. Returns null when none runs. Cached per process.
 */
export function findFfmpeg(): FfmpegInfo | null {
  if (found !== undefined) return found;
  const candidates: Array<[string | null, FfmpegInfo['source']]> = [
    [process.env.FFMPEG || null, 'env'], ['ffmpeg', 'system'], [npmFfmpeg(), 'npm']];
  for (const [path, source] of candidates) {
    if (!path) continue;
    const version = ffmpegVersion(path);
    if (version) return found = {path, version, source};
  }
  return found = null;
}

/** findFfmpeg() or a CliError that says how to get one. */
export function requireFfmpeg(): FfmpegInfo {
  const f = findFfmpeg();
  if (!f) {
    throw new CliError('no working ffmpeg: install it (apt-get install -y ffmpeg), reinstall this package ' +
        '(its dependency @ffmpeg-installer/ffmpeg ships one), or set $FFMPEG to its path');
  }
  return f;
}

export interface VideoInfo {
  width: number;
  height: number;
  fps: number | null;
  /** Frame count estimated from duration x fps (ffmpeg -i does not count frames). */
  approxFrames: number | null;
  codec: string;
}

const probeCache = new Map<string, VideoInfo>();
/**
 * Size, frame rate and codec of a clip's video stream, parsed from `ffmpeg -i` (no ffprobe needed).
 * Throws a CliError when ffmpeg cannot read the file as a video.
 */
export function probeVideo(file: string, ffmpeg = requireFfmpeg().path): VideoInfo {
  const hit = probeCache.get(file);
  if (hit) return hit;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-nostdin', '-i', file], {encoding: 'utf8'});
  const m = /Stream #\S+.*Video: (\w+).*?, (\d{2,5})x(\d{2,5})/.exec(r.stderr);
  if (!m) {
    const why = r.stderr.trim().split('\n').filter((l) => !/^\s*(At least one output|Input #|Metadata|Duration)/.test(l)).pop();
    throw new CliError(`ffmpeg cannot read ${file} as a video${why ? `: ${why.trim()}` : ''}`);
  }
  const fps = /, ([0-9.]+) fps/.exec(r.stderr);
  const dur = /Duration: (\d+):(\d+):([0-9.]+)/.exec(r.stderr);
  const seconds = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : null;
  const info: VideoInfo = {codec: m[1], width: Number(m[2]), height: Number(m[3]), fps: fps ? Number(fps[1]) : null,
    approxFrames: fps && seconds !== null ? Math.round(seconds * Number(fps[1])) : null};
  probeCache.set(file, info);
  return info;
}

/** Width and height of the clip's video stream. */
export function clipSize(file: string, ffmpeg?: string): [number, number] {
  const {width, height} = probeVideo(file, ffmpeg);
  return [width, height];
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
  /** Return the frames that exist when the clip ends early, instead of throwing. */
  allowShort?: boolean;
}

/** Where output pixels come from: src = (out - pad) * scale, per axis. */
export interface FrameGeometry {
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
  scaleX: number; scaleY: number; padX: number; padY: number;
}

export interface Clip extends FrameGeometry {
  frames: Uint8Array[];    // count frames, each height*width*3 bytes, RGB, row-major (HWC)
}

const decodeCache = new Map<string, Clip>();
/** Decodes `count` consecutive frames starting at `start`, scaled to width x height, RGB uint8. */
export function decodeFrames(file: string, opts: DecodeOptions): Clip {
  const ffmpeg = opts.ffmpeg ?? requireFfmpeg().path;
  const {count, width, height} = opts;
  const start = opts.start ?? 0;
  const fit = opts.fit ?? 'stretch';
  const key = JSON.stringify([file, start, count, width, height, fit, ffmpeg]);
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
  // is cheap for short clips. -vsync 0 keeps one output frame per selected frame.
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file,
    '-vf', `select=between(n\\,${start}\\,${start + count - 1}),${filter}`,
    '-vsync', '0', '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const frameBytes = width * height * 3;
  const r = spawnSync(ffmpeg, args, {maxBuffer: frameBytes * count + (1 << 20)});
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const why = r.stderr.toString().trim().split('\n').pop() ?? '';
    throw new CliError(`ffmpeg could not decode ${file} (exit ${r.status}): ${why}`);
  }
  const out = r.stdout as Buffer;
  const n = Math.floor(out.length / frameBytes);
  if (n < count && !(opts.allowShort && n > 0)) {
    throw new CliError(`${file}: asked for frames ${start}..${start + count - 1}, the video has ${n} frame(s) from ${start}`);
  }
  const frames: Uint8Array[] = [];
  for (let i = 0; i < Math.min(n, count); i++) frames.push(new Uint8Array(out.subarray(i * frameBytes, (i + 1) * frameBytes)));
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
