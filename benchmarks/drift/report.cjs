#!/usr/bin/env node
/**
 * Summary of drift runs (benchmarks/drift/drift.cjs JSON files): worst error, per-loop error trend
 * (least-squares slope of the per-loop mean against the loop index, relative to the mean), how the
 * error right after the dense first frame compares with the rest (what a keyframe buys), and how the
 * error estimate relates to the measured error (Pearson correlation per frame).
 *   node benchmarks/drift/report.cjs benchmarks/results/drift/*.json
 */
const {readFileSync} = require('node:fs');

const mean = (v) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
function pearson(a, b) {
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

for (const file of process.argv.slice(2)) {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  for (const r of j.runs) {
    const loops = r.loops.map((l) => l.meanMaxRel);
    const xs = loops.map((_, i) => i);
    const mx = mean(xs), my = mean(loops);
    const slope = xs.reduce((s, x, i) => s + (x - mx) * (loops[i] - my), 0) / Math.max(1e-30, xs.reduce((s, x) => s + (x - mx) ** 2, 0));
    const clip = r.maxRel.length / r.loops.length;
    const after = (n) => mean(r.maxRel.slice(1, 1 + n));
    console.log(JSON.stringify({
      file, run: r.name, frames: r.maxRel.length, worstMaxRel: r.worstMaxRel, keyframes: r.keyframes, macRatio: +r.macRatio.toFixed(3),
      meanMaxRel: +my.toExponential(3),
      firstLoops: loops.slice(0, 3).map((v) => +v.toExponential(3)), lastLoops: loops.slice(-3).map((v) => +v.toExponential(3)),
      slopePerLoopRelative: my > 0 ? +(slope / my).toExponential(2) : 0,
      lastOverFirstLoop: loops[0] > 0 ? +(loops[loops.length - 1] / loops[0]).toFixed(3) : null,
      meanMaxRelFrames1to5: +after(5).toExponential(3), meanMaxRelFrames1to20: +after(20).toExponential(3),
      meanErrorEstimate: +mean(r.errorEstimate.slice(1)).toFixed(4), maxErrorEstimate: Math.max(...r.errorEstimate),
      estimateFrames1to5: r.errorEstimate.slice(1, 6),
      correlationEstimateVsMaxRel: +pearson(r.errorEstimate.slice(1), r.maxRel.slice(1)).toFixed(3),
      clipLength: clip,
    }));
  }
}
