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
  {name: 'delta-webgpu: shared per-kernel delta specs (test/kernels, exact + threshold mode)', args: ['test/run-jasmine.cjs', 'test/jasmine-webgpu-shared.json']},
  {name: 'tfjs-core kernel suites on delta-webgpu (exact mode; Dawn, software adapter)', args: ['test/core-suites/run.mjs'],
    env: {DELTA_CORE_BACKEND: 'delta-webgpu'}},
  {name: 'tfjs-core kernel suites on delta-webgpu (exact mode, delta path primed)', args: ['test/core-suites/run.mjs'],
    env: {DELTA_CORE_BACKEND: 'delta-webgpu', DELTA_CORE_PRIME: '1'}},
  {name: 'delta-webgpu: real models on real video vs tfjs-webgpu (5 models x 2 clips, 3 frames)', args: ['test/run-jasmine.cjs', 'test/jasmine-webgpu-models.json']},
  // a bounded share of the fuzz on delta-webgpu (configurations its shaders lack run dense: listed, not failed)
  {name: 'fuzz on delta-webgpu: 300 cases vs dense cpu', args: ['scripts/fuzz.mjs', '--no-build', '--backend', 'delta-webgpu', '--cases', '300', '--jobs', '1']},
  {name: 'reliability on delta-webgpu: hostile input, 1,000-frame long runs, leaks', args: ['--expose-gc', 'test/run-jasmine.cjs', 'test/hostile/jasmine.json'],
    // our conv shader for seeds: with tfjs-webgpu's (the default, for speed) a NaN/Inf on a seed frame follows
    // tfjs-webgpu's semantics, not cpu's (docs/delta-webgpu.md), and the NaN-frame spec's first frame differs
    env: {DELTA_BACKENDS: 'delta-webgpu', DELTA_WEBGPU_SEED_WITH_TFJS: '0'}},
  // The browser demo (issue 7): vite build, then Debian's headless Chromium (WebGPU on SwiftShader; and
  // without WebGPU, delta-cpu); skipped with the reason when /usr/bin/chromium is missing.
  {name: 'browser demo in headless Chromium (page, overlays, fps, threshold slider, no-WebGPU path)', args: ['test/demo/demo.mjs']},
  // delta-webgpu in headless Chromium (Debian's chromium + playwright-core, SwiftShader): kernel specs, tfjs-core
  // suites, real models, the UMD build with the official tfjs bundles, an app built with esbuild and Vite.
  {name: 'delta-webgpu in headless Chromium (kernels, tfjs-core suites, models, UMD, bundlers)', args: ['test/browser/run.mjs']},
  // delta-cuda groundwork: the addon (built by npm ci's install hook where nvcc is) loads and explains a
  // missing device; its GPU specs run on a GPU machine and are reported as skipped here.
  {name: 'delta-cuda: addon, backend, dense and delta kernels (GPU specs skipped without a device; plane logic on an emulated addon)', args: ['test/run-jasmine.cjs', 'test/jasmine-cuda.json']},
  // the shared per-kernel delta specs (oracle: dense cpu) on delta-cuda's backend + data plane over the emulated addon:
  // the plane's decisions (cost model, full updates, copy-on-write, counts) without a GPU
  {name: 'delta-cuda-emulated (no GPU): shared per-kernel delta specs (test/kernels, exact + threshold mode)', args: ['test/run-jasmine.cjs', 'test/cuda/jasmine-kernels-emulated.json']},
  // delta-cuda's share of issue 8 without a GPU: its backend and data plane on the emulated addon with tfjs-cpu's
  // dense kernels (test/cuda/emulated_backend.ts); the GPU runs them through the offline bundle's run.sh test.
  {name: 'reliability on delta-cuda-emulated (no GPU): hostile input, 1,000-frame long runs with device memory, regressions',
    args: ['--expose-gc', 'test/run-jasmine.cjs', 'test/hostile/jasmine.json'], env: {DELTA_BACKENDS: 'delta-cuda-emulated'}},
  {name: 'fuzz on delta-cuda-emulated (no GPU): 2,000 cases vs dense cpu', args: ['scripts/fuzz.mjs', '--no-build', '--backend', 'delta-cuda-emulated', '--cases', '2000', '--jobs', '1']},
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
