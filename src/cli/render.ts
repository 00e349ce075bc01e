/**
 * --render: PNG frames showing what the delta backend did — the input pixels it re-sent (the update
 * mask of the input rule) tinted red, the dense pose skeleton in green and the delta one in magenta.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Keypoint, SKELETON} from './keypoints';
import {Raster, Rgb} from './png';

/**
 * The input rule of the delta engine, replayed on the frames: a pixel is sent when the largest change
 * of its channels since the value last sent exceeds the input threshold (in model input units); pixels
 * not sent keep their residual. Frame 0 sends everything (a dense frame).
 */
export class InputUpdateMask {
  private lastSent: Uint8Array | null = null;

  /** unitsPerLevel: model input units per 0..255 step ((hi - lo) / 255). */
  constructor(private readonly threshold: number, private readonly unitsPerLevel: number) {}

  /** The mask of frame (1 = sent) and the share of pixels sent. */
  next(frame: Uint8Array): {mask: Uint8Array; fraction: number} {
    const pixels = frame.length / 3;
    const mask = new Uint8Array(pixels);
    if (!this.lastSent) {
      this.lastSent = frame.slice();
      mask.fill(1);
      return {mask, fraction: 1};
    }
    const last = this.lastSent;
    let sent = 0;
    for (let p = 0, i = 0; p < pixels; p++, i += 3) {
      const d = Math.max(Math.abs(frame[i] - last[i]), Math.abs(frame[i + 1] - last[i + 1]), Math.abs(frame[i + 2] - last[i + 2]));
      if (d * this.unitsPerLevel > this.threshold) {
        mask[p] = 1;
        sent++;
        last[i] = frame[i]; last[i + 1] = frame[i + 1]; last[i + 2] = frame[i + 2];
      }
    }
    return {mask, fraction: sent / pixels};
  }
}

const MASK_COLOR: Rgb = [255, 40, 40];
const DENSE_COLOR: Rgb = [40, 230, 60];
const DELTA_COLOR: Rgb = [255, 0, 255];
export const RENDER_LEGEND = 'red tint = input pixels the delta backend re-sent this frame; green = dense skeleton; ' +
    'magenta = delta skeleton (drawn on top: where they agree you see magenta with a green rim)';

function drawSkeleton(r: Raster, kp: Keypoint[], scale: number, color: Rgb, thickness: number, minScore: number): void {
  for (const [a, b] of SKELETON) {
    if (kp[a].score < minScore || kp[b].score < minScore) continue;
    r.line(kp[a].ix * scale, kp[a].iy * scale, kp[b].ix * scale, kp[b].iy * scale, thickness, color);
  }
  for (const p of kp) if (p.score >= minScore) r.dot(p.ix * scale, p.iy * scale, thickness + 1, color);
}

export interface RenderFrame {
  frame: Uint8Array;          // model input RGB (width x height)
  mask: Uint8Array;           // width x height, 1 = sent
  dense: Keypoint[] | null;
  delta: Keypoint[] | null;
}

/** Writes dir/frame-NNNN.png for each frame; returns the file names. */
export function renderFrames(dir: string, width: number, height: number, frames: RenderFrame[], minScore = 0.1): string[] {
  mkdirSync(dir, {recursive: true});
  const scale = Math.max(1, Math.ceil(384 / Math.max(width, height)));   // small model inputs are hard to see
  return frames.map((f, i) => {
    const r = Raster.fromRgb(f.frame, width, height, scale);
    r.tintMask(f.mask, width, height, MASK_COLOR, 0.45);
    if (f.dense) drawSkeleton(r, f.dense, scale, DENSE_COLOR, 2 * scale + 1, minScore);
    if (f.delta) drawSkeleton(r, f.delta, scale, DELTA_COLOR, scale, minScore);
    const name = `frame-${String(i).padStart(4, '0')}.png`;
    writeFileSync(join(dir, name), r.toPng());
    return name;
  });
}
