// Markdown tables from the delta-cuda posenet benchmark JSON (scripts/cuda/bench-posenet.ts), with the
// ANCHORS.md figures of the same configurations beside ours:
//   node scripts/cuda/bench-report.mjs benchmarks/results/cuda-h100/bench-posenet.json > table.md
import {readFileSync} from 'node:fs';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// ../shared/ANCHORS.md (H100, same weights and frames): cuDNN fp32 eager / fp32 graph / TF32 graph / fp16 graph; DeltaCNN
// at t 0.02/0.01 and 0.06/0.03 (ms, agreement).
const ANCHORS = {
  'vtest 769x577 1': {fp32: 1.99, fp32g: 0.86, tf32g: 0.47, fp16g: 0.37, dcnn: [[1.17, 0.97], [1.12, 0.90]]},
  'vtest 769x577 8': {fp32: 5.26, fp32g: 4.94, tf32g: 2.70, fp16g: 1.73, dcnn: [[6.17, 0.97], [4.97, 0.89]]},
  'vtest 769x577 32': {fp32: 19.04, fp32g: 18.66, tf32g: 10.71, fp16g: 7.11, dcnn: [[22.68, 0.97], [17.56, 0.89]]},
  'pose_1 577x577 1': {fp32: 1.65, fp32g: 0.69, tf32g: 0.41, fp16g: 0.36, dcnn: [[1.41, 0.99], [1.38, 0.98]]},
  'pose_1 577x577 8': {fp32: 3.77, fp32g: 3.45, tf32g: 2.04, fp16g: 1.32, dcnn: [[2.89, 0.99], [2.29, 0.97]]},
  'pose_1 577x577 32': {fp32: 14.27, fp32g: 13.85, tf32g: 8.14, fp16g: 5.30, dcnn: [[9.89, 0.99], [5.72, 0.97]]},
};
const f = (x, d = 2) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));
console.log(`${r.device?.name ?? 'GPU'}, driver ${r.driverVersion}, Node ${r.node}, plane ${r.plane}; ${r.warmup} warm-up + ` +
  `${r.timed} timed frames per cell; ${r.timing}.\n`);
console.log('| clip, size | B | conv precision | setting | ms/batch median (p90) | + download | agreement (vs fp32 dense) | MAC ceiling | mean active | no-change frame ms (first / then) | our dense ms (same precision) | speedup vs our dense | cuDNN fp32 eager / graph, TF32 graph, fp16 graph | DeltaCNN 0.02/0.01, 0.06/0.03 (agree) |');
console.log('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const row of r.rows) {
  const key = `${row.clip} ${row.size} ${row.batch}`;
  const a = ANCHORS[key];
  // Our dense reference: the dense CUDA kernels alone ('dense-kernels'), else keyframes every frame ('dense');
  // a replayed row ('+replay') against the dense kernels replayed the same way ('dense-kernels+replay')
  const precision = row.precision ?? 'fp32';
  const same = (x) => x.clip === row.clip && x.batch === row.batch && (x.precision ?? 'fp32') === precision;
  const replayed = row.setting.endsWith('+replay');
  const dense = (replayed && r.rows.find((x) => same(x) && x.setting === 'dense-kernels+replay')) ||
    r.rows.find((x) => same(x) && x.setting === 'dense-kernels') || r.rows.find((x) => same(x) && x.setting === 'dense');
  const sp = dense && !row.setting.startsWith('dense') ? dense.msMedian / row.msMedian : null;
  console.log(`| ${row.clip} ${row.size} | ${row.batch} | ${precision} | ${row.setting} | ${f(row.msMedian)} (${f(row.msP90)}) | ` +
    `${f(row.msWithDownloadMedian)} | ${row.agreement == null ? 'ref' : f(row.agreement, 3)} | ${row.setting.startsWith('dense') ? '1' : f(row.ceiling)}x | ` +
    `${row.meanActive == null ? '-' : (100 * row.meanActive).toFixed(0) + '%'} | ${f(row.noChangeMs)}${row.noChangeRepeatMs != null ? ` / ${f(row.noChangeRepeatMs)}` : ''} | ${f(dense?.msMedian)} | ${sp ? f(sp) + 'x' : '-'} | ` +
    `${a ? `${a.fp32} / ${a.fp32g}, ${a.tf32g}, ${a.fp16g}` : '-'} | ${a ? a.dcnn.map(([ms, ag]) => `${ms} (${ag})`).join(', ') : '-'} |`);
}
console.log('\nPer-kernel time of one frame (tf.profile; each kernel includes a device synchronize), top 6:\n');
for (const [k, v] of Object.entries(r.profiles ?? {})) {
  const top = Object.entries(v).sort((x, y) => y[1].ms - x[1].ms).slice(0, 6);
  const total = Object.values(v).reduce((s, x) => s + x.ms, 0);
  console.log(`- ${k}: total ${f(total)} ms; ${top.map(([n, x]) => `${n} ${f(x.ms)} (${x.calls})`).join(', ')}`);
}
