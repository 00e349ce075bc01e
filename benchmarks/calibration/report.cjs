#!/usr/bin/env node
/**
 * Summary table of the calibration evaluations: reads <dir>/*.json written by evaluate.cjs and prints a
 * Markdown table (the body of benchmarks/results/calibration/README.md).
 *   node benchmarks/calibration/report.cjs benchmarks/results/calibration
 */
const {readdirSync, readFileSync} = require('node:fs');
const {join} = require('node:path');

const dir = process.argv[2] ?? 'benchmarks/results/calibration';
const rows = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.thresholds.json')).sort()
    .map((f) => ({file: f, ...JSON.parse(readFileSync(join(dir, f), 'utf8'))}));
const x = (v) => (v === null || !Number.isFinite(v) ? 'inf (no MACs performed)' : `${v.toFixed(2)}x`);
const a = (v) => (v === null ? 'n/a' : v.toFixed(4));
console.log('| model | clip | metric (target) | calibrated: agreement, MAC ratio | best single global reaching target | calibrated / global | global sweep (q: agreement, ratio) | calibrate() evaluations, s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const sweep = r.global.map((g) => `${g.q}: ${a(g.agreement)}${g.secondary !== undefined ? ` (${a(g.secondary)})` : ''}, ${x(g.macRatio)}`).join('; ');
  const cal = r.calibratedScaled.find((c) => c.m === 1);
  const backend = r.backend && r.backend !== 'delta-cpu' ? ` (${r.backend}${r.costModel ? `, ${r.costModel} MACs` : ''})` : '';
  const calFor = r.calibrationTarget !== undefined && r.calibrationTarget !== r.target ? `; calibrated for ${r.calibrationTarget}` : '';
  console.log(`| ${r.model} ${r.size}${backend} | ${r.clip} ${r.calibrationFrames.join('-')} / ${r.evaluationFrames.join('-')} | ${r.metric} (${r.target}${calFor}) | ` +
      `${a(cal.agreement)}${cal.secondary !== undefined ? ` (${a(cal.secondary)})` : ''}, ${x(cal.macRatio)} | ${x(r.bestGlobalReachingTarget)} | ` +
      `${x(r.gainOverGlobal)} | ${sweep} | ${r.calibration.evaluations}, ${r.seconds.toFixed(0)}${r.skippedAtDeadline ? `; skipped at the deadline: ${r.skippedAtDeadline.join(', ')}` : ''} |`);
}
