/**
 * Pose keypoints from the raw outputs of the pose models in the catalog, and how far two sets of
 * keypoints are apart: the task-level agreement between a delta run and the dense reference.
 */
import {heatmapPeak} from '../core/task_metrics';
import type {PoseTask} from './catalog';
import type {FrameGeometry} from './video';

/** The 17 COCO keypoints, in the order MoveNet and PoseNet output them. */
export const KEYPOINT_NAMES = ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
  'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee',
  'left_ankle', 'right_ankle'];

/** Limbs between KEYPOINT_NAMES indices, for drawing. */
export const SKELETON: Array<[number, number]> = [[0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8],
  [8, 10], [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16]];

export interface Keypoint {
  /** Position in pixels of the source video frame. */
  x: number;
  y: number;
  /** Position in pixels of the model input (what --render draws on). */
  ix: number;
  iy: number;
  score: number;
}

/** One model output as read back: its node name, shape and values. */
export interface OutputValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

function toSource(ix: number, iy: number, g: FrameGeometry): {x: number; y: number} {
  return {x: (ix - g.padX) * g.scaleX, y: (iy - g.padY) * g.scaleY};
}

/** MoveNet keypoints of one output [1,1,17,3] (y, x, score), x/y in [0,1] of the (padded) input. */
export function movenetKeypoints(out: Float32Array, g: FrameGeometry): Keypoint[] {
  const kp: Keypoint[] = [];
  for (let k = 0; k < 17; k++) {
    const iy = out[k * 3] * g.height, ix = out[k * 3 + 1] * g.width;
    kp.push({...toSource(ix, iy, g), ix, iy, score: out[k * 3 + 2]});
  }
  return kp;
}

/**
 * Single-pose PoseNet decoding: for each keypoint the heatmap cell with the largest logit, refined by
 * its offset vector (offsets: 17 y channels, then 17 x channels, in input pixels).
 */
export function posenetKeypoints(heatmap: OutputValues, offsets: OutputValues, g: FrameGeometry): Keypoint[] {
  const [, h, w, k] = heatmap.shape;
  const strideY = h > 1 ? (g.height - 1) / (h - 1) : g.height;
  const strideX = w > 1 ? (g.width - 1) / (w - 1) : g.width;
  const kp: Keypoint[] = [];
  for (let j = 0; j < k; j++) {
    const {by, bx, best, offsetY, offsetX} = heatmapPeak(heatmap, offsets, j);
    const iy = by * strideY + offsetY, ix = bx * strideX + offsetX;
    kp.push({...toSource(ix, iy, g), ix, iy, score: 1 / (1 + Math.exp(-best))});
  }
  return kp;
}

/** Keypoints of a pose model's outputs (in the order the model returns them). */
export function decodeKeypoints(task: PoseTask, outputs: OutputValues[], g: FrameGeometry): Keypoint[] {
  if (task === 'movenet') return movenetKeypoints(outputs[0].values, g);
  const heatmap = outputs.find((o) => /heatmap/.test(o.name));
  const offsets = outputs.find((o) => /offset/.test(o.name));
  if (!heatmap || !offsets) throw new Error(`posenet outputs without heatmap/offsets: ${outputs.map((o) => o.name).join(', ')}`);
  return posenetKeypoints(heatmap, offsets, g);
}

/** Distance in source pixels between corresponding keypoints. */
export function keypointDistances(a: Keypoint[], b: Keypoint[]): number[] {
  return a.map((p, k) => Math.hypot(p.x - b[k].x, p.y - b[k].y));
}
