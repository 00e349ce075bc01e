// Models and frames for the delta-cuda model specs and benchmark, from one of two places:
//  - $DELTA_CUDA_DATA (the offline bundle's data/ folder, scripts/bundle.mjs): models/<name>/model.json
//    and frames/<clip>-<W>x<H>-<fit>.frames.br, frames pre-decoded with ffmpeg where the bundle was made
//    (a GPU server needs no ffmpeg): brotli of frame 0's RGB bytes followed by each later frame as its
//    bytewise difference (mod 256) from the previous one (consecutive frames are mostly equal, so the
//    differences compress ~3x better than the frames);
//  - otherwise the test cache (scripts/setup-data.mjs) and ffmpeg, as the other model specs.
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {brotliDecompressSync} from 'node:zlib';
import {decodeFrames, setupData} from '../util/video';

export function bundleData(): string | null {
  return process.env.DELTA_CUDA_DATA || null;
}

export function modelFile(name: string): string | null {
  const dir = bundleData();
  if (dir) {
    const f = join(dir, 'models', name, 'model.json');
    return existsSync(f) ? f : null;
  }
  return setupData().models[name] ?? null;
}

export function packName(clip: string, width: number, height: number, fit: 'stretch' | 'pad'): string {
  return `${clip}-${width}x${height}-${fit}.frames.br`;
}

/** Decodes a frame pack (see the header) into frames of width*height*3 bytes. */
export function readFramePack(file: string, width: number, height: number): Uint8Array[] {
  const raw = brotliDecompressSync(readFileSync(file));
  const fb = width * height * 3;
  if (raw.length % fb !== 0) throw new Error(`${file}: ${raw.length} bytes is not a whole number of ${width}x${height} frames`);
  const frames: Uint8Array[] = [];
  let prev: Uint8Array | null = null;
  for (let off = 0; off < raw.length; off += fb) {
    const f = new Uint8Array(raw.subarray(off, off + fb));
    if (prev) for (let i = 0; i < fb; i++) f[i] = (f[i] + prev[i]) & 255;
    frames.push(f);
    prev = f;
  }
  return frames;
}

/** `count` consecutive frames of a clip from `start`, scaled to width x height. */
export function clipFrames(clip: string, width: number, height: number, fit: 'stretch' | 'pad', start: number,
                           count: number): Uint8Array[] {
  const dir = bundleData();
  if (dir) {
    const file = join(dir, 'frames', packName(clip, width, height, fit));
    if (!existsSync(file)) throw new Error(`${file} is not in the bundle (scripts/bundle.mjs makes it)`);
    const all = readFramePack(file, width, height);
    if (start + count > all.length) throw new Error(`${file} holds ${all.length} frames, asked for ${start}..${start + count - 1}`);
    return all.slice(start, start + count);
  }
  const path = setupData().clips[clip];
  if (!path) throw new Error(`clip ${clip} is not available (scripts/setup-data.mjs)`);
  return decodeFrames(path, {start, count, width, height, fit}).frames;
}
