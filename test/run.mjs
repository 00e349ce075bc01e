// The test command (npm test): runs every suite in its own process, adds up the counts and prints
// the closing line `N passed, M failed` that CI reads. A suite that crashes counts as a failure.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';

const suites = [
  {name: 'specs (core, delta-cpu kernels, engine)', args: ['test/run-jasmine.cjs', 'test/jasmine.json']},
  {name: 'tfjs-core kernel suites on delta-cpu (exact mode)', args: ['test/core-suites/run.mjs']},
  {name: 'tfjs-core kernel suites on delta-cpu (exact mode, delta path primed)', args: ['test/core-suites/run.mjs'],
    env: {DELTA_CORE_PRIME: '1'}},
  {name: 'real models on real video', args: ['test/run-jasmine.cjs', 'test/jasmine-models.json']},
  // Reliability (issue 8): scripts/fuzz.mjs writes one result per kernel; DELTA_FUZZ_SEED / DELTA_FUZZ_CASES
  // pick another slice, DELTA_BACKENDS=delta-cpu,... the backends (also for the hostile/long-run specs).
  {name: 'fuzz: random kernel configurations and frame sequences vs dense cpu', args: ['scripts/fuzz.mjs', '--no-build']},
  {name: 'reliability: hostile input, long runs, leaks, regressions', args: ['--expose-gc', 'test/run-jasmine.cjs', 'test/hostile/jasmine.json']},
  {name: 'tfjs-delta CLI end to end (run, bench, bad arguments)', args: ['test/run-jasmine.cjs', 'test/jasmine-cli.json']},
  {name: 'calibration: stable keys, calibrate, task metrics, keyframe policy, drift, thresholds files, CLI', args: ['test/run-jasmine.cjs', 'test/calibrate/jasmine.json']},
  // delta-webgpu on a software adapter (Node + Dawn on lavapipe; scripts/webgpu/setup.sh installs it).
  {name: 'delta-webgpu kernels vs cpu (Dawn, software adapter)', args: ['test/run-jasmine.cjs', 'test/jasmine-webgpu.json']},
  // delta-cuda groundwork: the addon (built by npm ci's install hook where nvcc is) loads and explains a
  // missing device; its GPU specs run on a GPU machine and are reported as skipped here.
  {name: 'delta-cuda addon + sparsify (GPU specs skipped without a device)', args: ['test/run-jasmine.cjs', 'test/jasmine-cuda.json']},
];
const only = process.env.DELTA_SUITES ? new RegExp(process.env.DELTA_SUITES) : null;

const build = spawnSync(process.execPath, ['scripts/build-tests.mjs'], {stdio: 'inherit'});
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
mkdirSync('build/results', {recursive: true});
let passed = 0, failed = 0, skipped = 0;
const rows = [];
for (const [i, suite] of suites.entries()) {
  if (only && !only.test(suite.name)) continue;
  const resultFile = join('build/results', `suite-${i}.json`);
  rmSync(resultFile, {force: true});
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', ...suite.args], {
    stdio: 'inherit', env: {...process.env, ...suite.env, DELTA_RESULT_FILE: resultFile},
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  let res = {passed: 0, failed: 1, skipped: 0, failures: [{name: suite.name, messages: [`exited ${r.status} ${r.signal ?? ''} without results`]}]};
  if (existsSync(resultFile)) res = JSON.parse(readFileSync(resultFile, 'utf8'));
  else if (r.status === 0) res.failures[0].messages = ['exited 0 but wrote no results'];
  passed += res.passed; failed += res.failed; skipped += res.skipped;
  rows.push({suite: suite.name, passed: res.passed, failed: res.failed, skipped: res.skipped, seconds: Number(secs)});
  for (const f of res.failures) console.log(`FAILED: ${f.name}\n  ${f.messages.join('\n  ')}`);
}
console.table(rows);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
