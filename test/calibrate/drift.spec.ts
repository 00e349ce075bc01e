/**
 * Drift, the cheap CI version of benchmarks/drift/drift.cjs (issue 6): posenet at 33x33 on the shipped
 * 48-frame sample clip played in a loop, 336 consecutive frames (7 loops) without keyframes, against the
 * dense cpu output of the same clip frame. Exact mode stays within 1e-4 relative on every frame; with
 * thresholds > 0 the error of the last loop is no larger than that of the first (no growth with time).
 * The 5,000-frame run is in benchmarks/results/drift/.
 */
import '@tensorflow/tfjs-backend-cpu';
import 'tfjs-backend-delta/cpu';
import {denseReference, measureDrift, resolveModel, sampleClip} from 'tfjs-backend-delta/cli';
import {decodeFrames, setupData} from '../util/video';

jasmine.DEFAULT_TIMEOUT_INTERVAL = 10 * 60 * 1000;

describe('drift over long runs (posenet 33x33, sample clip looped)', () => {
  const LOOPS = 7;
  let job: Parameters<typeof measureDrift>[0];
  let dense: Float32Array[][];

  beforeAll(async () => {
    setupData();
    const r = resolveModel('posenet', {size: [33, 33]});
    const frames = decodeFrames(sampleClip(), {start: 0, count: 48, width: 33, height: 33, fit: r.spec.fit}).frames;
    job = {spec: r.spec, file: r.file, inputSizeRewrite: r.inputSizeRewrite, frames, total: LOOPS * frames.length, config: {}};
    dense = await denseReference(job);
  });

  it('exact mode: every frame within 1e-4 of dense, no keyframes', async () => {
    const res = await measureDrift({...job, config: {inputThreshold: 0, threshold: 0, thresholds: {}, keyframeInterval: 0}}, dense);
    expect(res.rows.length).toBe(job.total);
    expect(res.keyframes).toBe(0);
    expect(res.worstMaxRel).toBeLessThanOrEqual(1e-4);
    // Exact mode still skips the MACs of pixels that did not change at all (the loop point changes everything).
    expect(res.loops[1].macRatio).toBeGreaterThan(1);
  });

  it('thresholds > 0: the error does not grow from the first loop to the last', async () => {
    const res = await measureDrift({...job, config: {inputThreshold: 0.04, threshold: 0.1, thresholds: {}, keyframeInterval: 0}}, dense);
    expect(res.keyframes).toBe(0);
    const first = res.loops[0], last = res.loops[res.loops.length - 1];
    expect(first.meanMaxRel).toBeGreaterThan(0);            // thresholds > 0 do change the outputs
    expect(last.meanMaxRel).toBeLessThanOrEqual(first.meanMaxRel * 1.25);
    expect(res.loops.every((l) => l.macRatio > 1.1)).toBe(true);   // 1.2x measured
  });
});
