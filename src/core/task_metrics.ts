/**
 * Task metrics for calibration and evaluation (issue 6): how well a delta run agrees with the dense
 * run at the level the application sees (keypoints, boxes, masks), not only in raw output values.
 *
 * A metric accumulates frames and gives one number. "Error" metrics (maxRel, meanRel, a custom
 * function) are worst-frame values that must stay <= target; "agreement" metrics (keypoints, boxes,
 * mask) are pooled over frames and must stay >= target (e.g. 0.99). Backend-independent: plain arrays.
 */

/** One model output as calibrate reads it back: values and shape. */
export interface OutputArray {
  values: Float32Array;
  shape: number[];
}

/** Pose keypoints agree when the delta keypoint is within `withinPx` input pixels of the dense one. */
export interface KeypointMetric {
  kind: 'keypoints';
  /** posenet: heatmap (17 channels) + offsets (34 channels) outputs; movenet: [1,1,17,3] (y, x, score). */
  model: 'posenet' | 'movenet';
  /** Tolerance in pixels of the model input; default one heatmap cell (posenet: outputStride; movenet: input/48). */
  withinPx?: number;
  /** posenet's output stride (input pixels per heatmap cell); default 16. */
  outputStride?: number;
  /** movenet's input size [h, w] (its outputs are normalized); default [192, 192]. */
  inputSize?: [number, number];
  /** Only keypoints whose dense score is >= minScore count; default 0 (all 17). */
  minScore?: number;
}

/** Detection boxes [1, N, 6] (x1, y1, x2, y2, score, class), sorted by score (centernet's TopK head). */
export interface BoxMetric {
  kind: 'boxes';
  /** The dense run's top-k boxes must each match a delta box; default 10. */
  topK?: number;
  /** Matching IoU (same class, one-to-one, greedy by dense score); default 0.5. */
  iou?: number;
  /** Dense boxes below this score are not counted; default 0. */
  minScore?: number;
  /** Index of the detections output; default the first output of shape [1, N, 6]. */
  output?: number;
}

/** Segmentation masks (value > maskThreshold): intersection over union, mean over frames. */
export interface MaskMetric {
  kind: 'mask';
  /** Default 0.5 (a sigmoid mask). */
  maskThreshold?: number;
  /** Index of the mask output; default 0. */
  output?: number;
}

export type TaskMetricSpec = KeypointMetric | BoxMetric | MaskMetric;

/** A custom per-frame error (lower is better; the worst calibration frame must stay <= target). */
export type MetricFunction = (dense: Float32Array[], delta: Float32Array[], shapes: number[][]) => number;

export type CalibrationMetric = 'maxRel' | 'meanRel' | TaskMetricSpec | MetricFunction;

/** Accumulates frames; value() is the metric so far. */
export interface MetricAccumulator {
  add(dense: OutputArray[], delta: OutputArray[]): void;
  value(): number;
}

export interface CompiledMetric {
  name: string;
  /** Agreement metrics: feasible when value >= target; error metrics: value <= target. */
  higherIsBetter: boolean;
  start(): MetricAccumulator;
}

const ERR = 'tfjs-backend-delta: metric';

function worstFrame(name: string, perFrame: MetricFunction): CompiledMetric {
  return {
    name, higherIsBetter: false,
    start() {
      let worst = 0;
      return {
        add(dense, delta) {
          const e = perFrame(dense.map((d) => d.values), delta.map((d) => d.values), dense.map((d) => d.shape));
          worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
        },
        value: () => worst,
      };
    },
  };
}

function pooled(name: string, perFrame: (dense: OutputArray[], delta: OutputArray[]) => {agree: number; total: number}): CompiledMetric {
  return {
    name, higherIsBetter: true,
    start() {
      let agree = 0, total = 0;
      return {
        add(dense, delta) { const r = perFrame(dense, delta); agree += r.agree; total += r.total; },
        value: () => (total > 0 ? agree / total : 1),
      };
    },
  };
}

export const maxRelFrame: MetricFunction = (dense, delta) => {
  let worst = 0;
  dense.forEach((d, i) => {
    let maxAbs = 0, maxErr = 0;
    const x = delta[i];
    for (let k = 0; k < d.length; k++) {
      const a = Math.abs(d[k]);
      if (a > maxAbs) maxAbs = a;
      const e = Math.abs(x[k] - d[k]);
      if (e > maxErr || Number.isNaN(e)) maxErr = Number.isNaN(e) ? Infinity : e;
    }
    worst = Math.max(worst, maxErr / Math.max(maxAbs, 1e-12));
  });
  return worst;
};

export const meanRelFrame: MetricFunction = (dense, delta) => {
  let worst = 0;
  dense.forEach((d, i) => {
    let sumAbs = 0, sumErr = 0;
    const x = delta[i];
    for (let k = 0; k < d.length; k++) { sumAbs += Math.abs(d[k]); sumErr += Math.abs(x[k] - d[k]); }
    worst = Math.max(worst, Number.isNaN(sumErr) ? Infinity : sumErr / Math.max(sumAbs, 1e-12));
  });
  return worst;
};

// ---- keypoints ------------------------------------------------------------------------------------

export interface DecodedKeypoint { x: number; y: number; score: number }

function lastDim(o: OutputArray): number { return o.shape[o.shape.length - 1]; }

/**
 * Single-pose PoseNet decoding in input pixels: per keypoint the heatmap cell with the largest logit,
 * refined by its offset (offsets: 17 y channels then 17 x channels). The same rule as src/cli/keypoints.ts.
 */
/**
 * PoseNet's single-pose peak of keypoint j: the heatmap cell with the highest logit and its offset vector
 * (offsets: k y channels, then k x channels, in input pixels). Shared by the task metrics and the CLI.
 */
export function heatmapPeak(heatmap: OutputArray, offsets: OutputArray, j: number):
    {by: number; bx: number; best: number; offsetY: number; offsetX: number} {
  const [, h, w, k] = heatmap.shape;
  let best = -Infinity, by = 0, bx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = heatmap.values[(y * w + x) * k + j];
      if (v > best) { best = v; by = y; bx = x; }
    }
  }
  const o = (by * w + bx) * 2 * k;
  return {by, bx, best, offsetY: offsets.values[o + j], offsetX: offsets.values[o + k + j]};
}

export function decodePosenet(outputs: OutputArray[], outputStride = 16): DecodedKeypoint[] {
  const heatmap = outputs.find((o) => o.shape.length === 4 && lastDim(o) === 17);
  const offsets = outputs.find((o) => o.shape.length === 4 && lastDim(o) === 34);
  if (!heatmap || !offsets) {
    throw new Error(`${ERR} keypoints/posenet: needs a heatmap [1,h,w,17] and offsets [1,h,w,34] output, got ` +
        outputs.map((o) => `[${o.shape.join(',')}]`).join(' '));
  }
  const k = heatmap.shape[3];
  const kp: DecodedKeypoint[] = [];
  for (let j = 0; j < k; j++) {
    const {by, bx, best, offsetY, offsetX} = heatmapPeak(heatmap, offsets, j);
    kp.push({y: by * outputStride + offsetY, x: bx * outputStride + offsetX, score: 1 / (1 + Math.exp(-best))});
  }
  return kp;
}

/** MoveNet [1,1,17,3] (y, x, score in [0,1] of the input) in input pixels. */
export function decodeMovenet(outputs: OutputArray[], inputSize: [number, number] = [192, 192]): DecodedKeypoint[] {
  const out = outputs.find((o) => o.values.length === 51);
  if (!out) throw new Error(`${ERR} keypoints/movenet: needs a [1,1,17,3] output, got ${outputs.map((o) => `[${o.shape.join(',')}]`).join(' ')}`);
  const kp: DecodedKeypoint[] = [];
  for (let j = 0; j < 17; j++) kp.push({y: out.values[j * 3] * inputSize[0], x: out.values[j * 3 + 1] * inputSize[1], score: out.values[j * 3 + 2]});
  return kp;
}

/** Keypoints of the delta run within tolerance of the dense run's: {agree, total} for one frame. */
export function keypointAgreement(dense: OutputArray[], delta: OutputArray[], m: KeypointMetric): {agree: number; total: number} {
  const decode = m.model === 'posenet' ? (o: OutputArray[]) => decodePosenet(o, m.outputStride ?? 16)
    : (o: OutputArray[]) => decodeMovenet(o, m.inputSize ?? [192, 192]);
  const a = decode(dense), b = decode(delta);
  const tol = keypointTolerance(m);
  let agree = 0, total = 0;
  a.forEach((p, j) => {
    if (p.score < (m.minScore ?? 0)) return;
    total++;
    if (Math.hypot(p.x - b[j].x, p.y - b[j].y) <= tol) agree++;
  });
  return {agree, total};
}

/** The keypoint tolerance in input pixels (withinPx, else one heatmap cell). */
export function keypointTolerance(m: KeypointMetric): number {
  if (m.withinPx !== undefined) return m.withinPx;
  return m.model === 'posenet' ? (m.outputStride ?? 16) : (m.inputSize ?? [192, 192])[0] / 48;
}

// ---- boxes ----------------------------------------------------------------------------------------

export interface Box { x1: number; y1: number; x2: number; y2: number; score: number; cls: number }

function boxesOf(outputs: OutputArray[], index: number | undefined): Box[] {
  const out = index !== undefined ? outputs[index] : outputs.find((o) => o.shape.length === 3 && o.shape[2] === 6);
  if (!out || lastDim(out) !== 6) {
    throw new Error(`${ERR} boxes: needs a detections output [1,N,6] (x1,y1,x2,y2,score,class), got ` +
        outputs.map((o) => `[${o.shape.join(',')}]`).join(' '));
  }
  const boxes: Box[] = [];
  for (let i = 0; i + 6 <= out.values.length; i += 6) {
    const v = out.values;
    boxes.push({x1: v[i], y1: v[i + 1], x2: v[i + 2], y2: v[i + 3], score: v[i + 4], cls: v[i + 5]});
  }
  return boxes.sort((p, q) => q.score - p.score);
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1), ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const area = (r: Box) => Math.max(0, r.x2 - r.x1) * Math.max(0, r.y2 - r.y1);
  return inter / (area(a) + area(b) - inter);
}

/**
 * The dense run's top-k boxes (score >= minScore) matched one-to-one, greedily in dense score order, to
 * the delta run's top-2k boxes of the same class with IoU >= iou: {agree: matched, total} for one frame.
 */
export function boxMatch(dense: OutputArray[], delta: OutputArray[], m: BoxMetric): {agree: number; total: number} {
  const k = m.topK ?? 10, need = m.iou ?? 0.5;
  const a = boxesOf(dense, m.output).filter((b) => b.score >= (m.minScore ?? 0)).slice(0, k);
  const b = boxesOf(delta, m.output).slice(0, 2 * k);
  const used = new Array<boolean>(b.length).fill(false);
  let agree = 0;
  for (const p of a) {
    let best = -1, bestIou = need;
    b.forEach((q, j) => {
      if (used[j] || q.cls !== p.cls) return;
      const v = iou(p, q);
      if (v >= bestIou) { bestIou = v; best = j; }
    });
    if (best >= 0) { used[best] = true; agree++; }
  }
  return {agree, total: a.length};
}

// ---- masks ----------------------------------------------------------------------------------------

/** Intersection over union of the masks value > maskThreshold (1 when both are empty). */
export function maskIou(dense: OutputArray[], delta: OutputArray[], m: MaskMetric): number {
  const i = m.output ?? 0, t = m.maskThreshold ?? 0.5;
  const a = dense[i]?.values, b = delta[i]?.values;
  if (!a || !b || a.length !== b.length) throw new Error(`${ERR} mask: output ${i} missing or of another size`);
  let inter = 0, union = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] > t, y = b[k] > t;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union ? inter / union : 1;
}

// ---- compile --------------------------------------------------------------------------------------

/** A short description of a metric (progress lines, result files). */
export function metricName(m: CalibrationMetric): string {
  if (typeof m === 'function') return 'custom';
  if (typeof m === 'string') return m;
  if (m.kind === 'keypoints') return `keypoints(${m.model}, within ${keypointTolerance(m)} px${m.minScore ? `, score >= ${m.minScore}` : ''})`;
  if (m.kind === 'boxes') return `boxes(top ${m.topK ?? 10}, IoU >= ${m.iou ?? 0.5}${m.minScore ? `, score >= ${m.minScore}` : ''})`;
  return `mask IoU(> ${m.maskThreshold ?? 0.5})`;
}

export function compileMetric(m: CalibrationMetric): CompiledMetric {
  if (typeof m === 'function') return worstFrame('custom', m);
  if (m === 'maxRel') return worstFrame('maxRel', maxRelFrame);
  if (m === 'meanRel') return worstFrame('meanRel', meanRelFrame);
  if (m && typeof m === 'object') {
    const name = metricName(m);
    if (m.kind === 'keypoints') {
      if (m.model !== 'posenet' && m.model !== 'movenet') throw new Error(`${ERR} keypoints: model must be 'posenet' or 'movenet', got '${String(m.model)}'`);
      return pooled(name, (d, x) => keypointAgreement(d, x, m));
    }
    if (m.kind === 'boxes') return pooled(name, (d, x) => boxMatch(d, x, m));
    if (m.kind === 'mask') {
      return {
        name, higherIsBetter: true,
        start() {
          let sum = 0, n = 0;
          return {add(d, x) { sum += maskIou(d, x, m); n++; }, value: () => (n ? sum / n : 1)};
        },
      };
    }
  }
  throw new Error(`tfjs-backend-delta: calibrate(): unknown metric '${typeof m === 'object' ? JSON.stringify(m) : String(m)}' ` +
      "(maxRel, meanRel, {kind: 'keypoints' | 'boxes' | 'mask', ...} or a function)");
}
