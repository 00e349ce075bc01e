/** Drawing: the frame, skeletons, change maps as overlays, and the per-layer bar chart. */
import type {LayerStats} from 'tfjs-backend-delta';
import {Keypoint, SKELETON} from '../../src/cli/keypoints';
import type {FrameGeometry} from '../../src/cli/video';
import type {ChangeMap} from './runner';
import type {Frame} from './frames';

export const COLORS = {dense: '#22c55e', delta: '#e040fb', input: [255, 48, 48], layer: [255, 176, 0]} as const;
/** Keypoints below this score are not drawn (MoveNet's own demos use 0.3). */
export const MIN_SCORE = 0.3;

export function drawFrame(ctx: CanvasRenderingContext2D, frame: Frame, dim = 1) {
  const {width, height} = ctx.canvas;
  ctx.drawImage(frame.image, 0, 0, width, height);
  if (dim < 1) {
    ctx.fillStyle = `rgba(0,0,0,${1 - dim})`;
    ctx.fillRect(0, 0, width, height);
  }
}

export function drawSkeleton(ctx: CanvasRenderingContext2D, kps: Keypoint[], frame: Frame, color: string, width = 3) {
  const sx = ctx.canvas.width / frame.width, sy = ctx.canvas.height / frame.height;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  for (const [a, b] of SKELETON) {
    if (kps[a].score < MIN_SCORE || kps[b].score < MIN_SCORE) continue;
    ctx.beginPath();
    ctx.moveTo(kps[a].x * sx, kps[a].y * sy);
    ctx.lineTo(kps[b].x * sx, kps[b].y * sy);
    ctx.stroke();
  }
  for (const k of kps) {
    if (k.score < MIN_SCORE) continue;
    ctx.beginPath();
    ctx.arc(k.x * sx, k.y * sy, width + 1, 0, 2 * Math.PI);
    ctx.fill();
  }
}

const scratch = document.createElement('canvas');
/**
 * A change map over the frame: the map covers the model input (size x size), which maps to the frame
 * through the geometry; each map pixel is drawn as a block (no smoothing), so deep layers show tiles.
 */
export function drawMap(ctx: CanvasRenderingContext2D, map: ChangeMap, g: FrameGeometry, frame: Frame,
                        rgb: readonly number[], alpha = 0.55) {
  scratch.width = map.width;
  scratch.height = map.height;
  const sctx = scratch.getContext('2d')!;
  const img = sctx.createImageData(map.width, map.height);
  const a = Math.round(alpha * 255);
  for (let p = 0; p < map.changed.length; p++) {
    if (!map.changed[p]) continue;
    img.data[p * 4] = rgb[0]; img.data[p * 4 + 1] = rgb[1]; img.data[p * 4 + 2] = rgb[2]; img.data[p * 4 + 3] = a;
  }
  sctx.putImageData(img, 0, 0);
  const sx = ctx.canvas.width / frame.width, sy = ctx.canvas.height / frame.height;
  ctx.save();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, -g.padX * g.scaleX * sx, -g.padY * g.scaleY * sy, g.width * g.scaleX * sx, g.height * g.scaleY * sy);
  ctx.restore();
}

export interface BarHit {
  x0: number;
  x1: number;
  layer: LayerStats;
}

/**
 * One bar per layer (execution order) of delta.stats().layers: the share of its output pixels that
 * changed on the last frame. Delta runs in blue; dense runs (seed, keyframe) in grey at 100%; layers
 * without a delta kernel (dense fallback) as a thin grey line at the bottom. Returns the bars' x ranges.
 */
export function drawBars(canvas: HTMLCanvasElement, layers: LayerStats[], selected: string | null, stale: boolean): BarHit[] {
  const ctx = canvas.getContext('2d')!;
  const {width, height} = canvas;
  const top = 8, bottom = height - 18, left = 34, right = width - 6;
  ctx.clearRect(0, 0, width, height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#9ca3af';
  ctx.strokeStyle = '#374151';
  ctx.lineWidth = 1;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const y = bottom - f * (bottom - top);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(right, y); ctx.stroke();
    ctx.fillText(`${Math.round(f * 100)}%`, 2, y + 4);
  }
  const n = Math.max(1, layers.length);
  const bw = (right - left) / n;
  const hits: BarHit[] = [];
  layers.forEach((l, i) => {
    const x0 = left + i * bw;
    const f = l.mode === 'fallback' ? 0.01 : l.activeFraction;
    ctx.fillStyle = l.mode === 'delta' ? (stale ? '#3b5b7f' : '#4aa3ff') : l.mode === 'dense' ? '#6b7280' : '#4b5563';
    ctx.fillRect(x0 + 0.15 * bw, bottom - f * (bottom - top), Math.max(1, 0.7 * bw), f * (bottom - top));
    if (l.name === selected) {
      ctx.strokeStyle = '#ffb000';
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, top, bw, bottom - top);
    }
    hits.push({x0, x1: x0 + bw, layer: l});
  });
  ctx.fillStyle = '#9ca3af';
  ctx.fillText('layers in execution order →', left, height - 4);
  return hits;
}
