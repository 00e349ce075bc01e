/**
 * Task metrics (issue 6): keypoint decoding and agreement (posenet heatmap+offsets, movenet), detection
 * box matching, mask IoU, and how compileMetric aggregates frames. Hand-made outputs with known answers.
 */
import {boxMatch, compileMetric, decodeMovenet, decodePosenet, iou, keypointAgreement, maskIou, metricName} from 'tfjs-backend-delta';
import type {OutputArray} from 'tfjs-backend-delta';
import {posenetKeypoints} from 'tfjs-backend-delta/cli';
import {prng} from '../util/prng';

/** PoseNet-like outputs [1,h,w,17] heatmap + [1,h,w,34] offsets, keypoint j peaking at cells[j]. */
function posenetOutputs(h: number, w: number, cells: Array<[number, number]>, offset: (j: number) => [number, number]): OutputArray[] {
  const heat = new Float32Array(h * w * 17).fill(-5);
  const off = new Float32Array(h * w * 34);
  cells.forEach(([y, x], j) => {
    heat[(y * w + x) * 17 + j] = 2;
    const [dy, dx] = offset(j);
    off[(y * w + x) * 34 + j] = dy;
    off[(y * w + x) * 34 + 17 + j] = dx;
  });
  // A displacement-like output of another channel count first: decoding must pick by channels.
  return [{values: new Float32Array(h * w * 32), shape: [1, h, w, 32]}, {values: heat, shape: [1, h, w, 17]},
    {values: off, shape: [1, h, w, 34]}];
}

describe('task metrics: keypoints', () => {
  const cells: Array<[number, number]> = Array.from({length: 17}, (_, j) => [j % 9, (j * 5) % 9]);

  it('decodes posenet like the CLI decoder (argmax cell x stride + offset)', () => {
    const outs = posenetOutputs(9, 9, cells, (j) => [j * 0.5 - 3, 2 - j * 0.25]);
    const kp = decodePosenet(outs, 16);
    cells.forEach(([y, x], j) => {
      expect(kp[j].y).toBeCloseTo(y * 16 + j * 0.5 - 3, 5);
      expect(kp[j].x).toBeCloseTo(x * 16 + 2 - j * 0.25, 5);
      expect(kp[j].score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    });
    // src/cli/keypoints.ts on a 129x129 input (stride (129-1)/(9-1) = 16) gives the same positions.
    const g = {width: 129, height: 129, padX: 0, padY: 0, scaleX: 1, scaleY: 1} as never;
    const named = outs.map((o, i) => ({name: ['displacement_fwd', 'heatmap', 'offset'][i], ...o}));
    const cli = posenetKeypoints(named[1], named[2], g);
    cli.forEach((p, j) => { expect(p.ix).toBeCloseTo(kp[j].x, 4); expect(p.iy).toBeCloseTo(kp[j].y, 4); });
  });

  it('counts keypoints within one heatmap cell (default) or within N px', () => {
    const dense = posenetOutputs(9, 9, cells, () => [0, 0]);
    // Keypoint 3 moves one cell right (16 px: within one cell), keypoint 5 two cells down (32 px: not).
    const moved = cells.map(([y, x], j) => (j === 3 ? [y, x + 1] : j === 5 ? [(y + 2) % 9, x] : [y, x]) as [number, number]);
    const delta = posenetOutputs(9, 9, moved, () => [0, 0]);
    expect(keypointAgreement(dense, delta, {kind: 'keypoints', model: 'posenet'})).toEqual({agree: 16, total: 17});
    expect(keypointAgreement(dense, delta, {kind: 'keypoints', model: 'posenet', withinPx: 8})).toEqual({agree: 15, total: 17});
    expect(keypointAgreement(dense, dense, {kind: 'keypoints', model: 'posenet', withinPx: 0})).toEqual({agree: 17, total: 17});
    // minScore: keypoints the dense run is not confident about do not count.
    const low = posenetOutputs(9, 9, cells, () => [0, 0]);
    low[1].values.fill(-5);   // every logit -5: score 0.0067
    expect(keypointAgreement(low, delta, {kind: 'keypoints', model: 'posenet', minScore: 0.5}).total).toBe(0);
    expect(() => decodePosenet([{values: new Float32Array(4), shape: [1, 2, 2, 1]}])).toThrowError(/heatmap \[1,h,w,17\]/);
  });

  it('movenet: normalized (y, x, score) in input pixels; one cell = input / 48', () => {
    const v = new Float32Array(51);
    for (let j = 0; j < 17; j++) { v[j * 3] = j / 20; v[j * 3 + 1] = 1 - j / 20; v[j * 3 + 2] = 0.9; }
    const dense: OutputArray[] = [{values: v, shape: [1, 1, 17, 3]}];
    const kp = decodeMovenet(dense, [192, 192]);
    expect(kp[4].y).toBeCloseTo(192 * 4 / 20, 4);
    expect(kp[4].x).toBeCloseTo(192 * 16 / 20, 4);
    const w = v.slice();
    w[0] += 3.9 / 192;            // keypoint 0: 3.9 px (within 4)
    w[3 + 1] += 4.5 / 192;        // keypoint 1: 4.5 px (not)
    const delta: OutputArray[] = [{values: w, shape: [1, 1, 17, 3]}];
    expect(keypointAgreement(dense, delta, {kind: 'keypoints', model: 'movenet'})).toEqual({agree: 16, total: 17});
    expect(keypointAgreement(dense, delta, {kind: 'keypoints', model: 'movenet', withinPx: 5})).toEqual({agree: 17, total: 17});
    // At a 96 px input the shifts are 1.95 and 2.25 px and one cell is 2 px.
    expect(keypointAgreement(dense, delta, {kind: 'keypoints', model: 'movenet', inputSize: [96, 96]})).toEqual({agree: 16, total: 17});
  });
});

describe('task metrics: boxes and masks', () => {
  const det = (boxes: number[][]): OutputArray[] => [
    {values: new Float32Array(8), shape: [1, 2, 2, 2]},
    {values: Float32Array.from(boxes.flat()), shape: [1, boxes.length, 6]}];

  it('IoU of boxes', () => {
    const a = {x1: 0, y1: 0, x2: 2, y2: 2, score: 1, cls: 0};
    expect(iou(a, a)).toBe(1);
    expect(iou(a, {...a, x1: 1, x2: 3})).toBeCloseTo(2 / 6, 9);
    expect(iou(a, {...a, x1: 2, x2: 4})).toBe(0);
  });

  it('matches the dense top-k one-to-one by class and IoU >= 0.5, in any order', () => {
    const dense = det([[0, 0, 10, 10, 0.9, 1], [20, 20, 30, 30, 0.8, 2], [40, 40, 50, 50, 0.7, 1], [0, 0, 1, 1, 0.01, 3]]);
    // Same boxes, ranks swapped and slightly moved: all match.
    const swapped = det([[40, 41, 50, 51, 0.75, 1], [0, 0, 10, 10, 0.9, 1], [20, 20, 30, 29, 0.6, 2], [0, 0, 1, 1, 0.01, 3]]);
    expect(boxMatch(dense, swapped, {kind: 'boxes', topK: 3})).toEqual({agree: 3, total: 3});
    // One moved by half its size (IoU 1/3), one with another class.
    const off = det([[5, 0, 15, 10, 0.9, 1], [20, 20, 30, 30, 0.8, 7], [40, 40, 50, 50, 0.7, 1], [0, 0, 1, 1, 0.01, 3]]);
    expect(boxMatch(dense, off, {kind: 'boxes', topK: 3})).toEqual({agree: 1, total: 3});
    expect(boxMatch(dense, off, {kind: 'boxes', topK: 3, iou: 0.3})).toEqual({agree: 2, total: 3});
    // Two dense boxes cannot match the same delta box.
    const dup = det([[0, 0, 10, 10, 0.9, 1], [0, 0, 10, 10, 0.8, 1]]);
    expect(boxMatch(dup, det([[0, 0, 10, 10, 0.9, 1], [90, 90, 99, 99, 0.1, 1]]), {kind: 'boxes', topK: 2})).toEqual({agree: 1, total: 2});
    // minScore drops weak dense boxes.
    expect(boxMatch(dense, dense, {kind: 'boxes', topK: 10, minScore: 0.5})).toEqual({agree: 3, total: 3});
    expect(() => boxMatch([{values: new Float32Array(4), shape: [1, 4]}], dense, {kind: 'boxes'})).toThrowError(/\[1,N,6\]/);
  });

  it('mask IoU counts pixels above the threshold', () => {
    const a: OutputArray[] = [{values: Float32Array.from([0.9, 0.9, 0.1, 0.6, 0.2, 0.1]), shape: [1, 6, 1, 1]}];
    const b: OutputArray[] = [{values: Float32Array.from([0.9, 0.4, 0.7, 0.6, 0.2, 0.1]), shape: [1, 6, 1, 1]}];
    expect(maskIou(a, b, {kind: 'mask'})).toBeCloseTo(2 / 4, 9);
    expect(maskIou(a, a, {kind: 'mask'})).toBe(1);
    const empty: OutputArray[] = [{values: new Float32Array(6), shape: [1, 6, 1, 1]}];
    expect(maskIou(empty, empty, {kind: 'mask'})).toBe(1);
    expect(maskIou(a, b, {kind: 'mask', maskThreshold: 0.05})).toBe(1);
  });
});

describe('task metrics: compileMetric', () => {
  it('pools agreement over frames, keeps the worst frame of error metrics, and names them', () => {
    const m = compileMetric({kind: 'mask'});
    expect(m.higherIsBetter).toBe(true);
    const acc = m.start();
    const one = (v: number[]): OutputArray[] => [{values: Float32Array.from(v), shape: [1, v.length]}];
    acc.add(one([1, 1]), one([1, 1]));
    acc.add(one([1, 1]), one([1, 0]));
    expect(acc.value()).toBeCloseTo(0.75, 9);
    const r = compileMetric('maxRel');
    expect(r.higherIsBetter).toBe(false);
    const e = r.start();
    e.add(one([1, 2]), one([1, 2.2]));
    e.add(one([1, 2]), one([1, 2.1]));
    expect(e.value()).toBeCloseTo(0.1, 6);
    const c = compileMetric((d, x, shapes) => (shapes[0][1] === 2 ? Math.abs(x[0][0] - d[0][0]) : NaN)).start();
    c.add(one([0, 0]), one([0.25, 0]));
    expect(c.value()).toBe(0.25);
    c.add(one([0, 0]), one([Number.NaN, 0]));
    expect(c.value()).toBe(Infinity);
    expect(metricName({kind: 'keypoints', model: 'posenet'})).toBe('keypoints(posenet, within 16 px)');
    expect(() => compileMetric({kind: 'keypoints', model: 'yolo'} as never)).toThrowError(/posenet' or 'movenet/);
    expect(() => compileMetric({kind: 'nope'} as never)).toThrowError(/unknown metric/);
  });

  it('keypoint agreement of random outputs against themselves is 1, against others < 1', () => {
    const r = prng(3);
    const rand = () => posenetOutputs(9, 9, Array.from({length: 17}, () => [Math.floor(r() * 9), Math.floor(r() * 9)] as [number, number]),
        () => [r() * 4 - 2, r() * 4 - 2]);
    const m = compileMetric({kind: 'keypoints', model: 'posenet'});
    const acc = m.start();
    const a = rand(), b = rand();
    acc.add(a, a);
    expect(acc.value()).toBe(1);
    acc.add(a, b);
    expect(acc.value()).toBeLessThan(1);
    expect(acc.value()).toBeGreaterThanOrEqual(0.5);
  });
});
