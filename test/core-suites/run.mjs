// tfjs-core's own kernel test suites on delta-cpu (exact mode: all thresholds 0, the default).
//   npm run build && node test/core-suites/run.mjs
// Env: DELTA_RESULT_FILE  where the counting reporter writes {passed, failed, skipped, failures}
//      DELTA_CORE_BACKEND backend to test (default 'delta-cpu'; 'cpu' = tfjs's own cpu backend,
//                         the reference used to check that an exclusion is not about our kernels;
//                         'delta-webgpu' / 'webgpu': Node + Dawn on the software adapter
//                         DELTA_WEBGPU_ADAPTER (default lavapipe); no dataSync in Node, so the test
//                         env has isDataSync false and tfjs-core skips its sync-only specs)
//      DELTA_CORE_FILTER  optional regexp: run only the specs whose full name matches
//      DELTA_CORE_DIST    build to test instead of dist/ (a directory with cjs/cpu/register.js and
//                         cjs/index.js inside the repo, e.g. a snapshot under build/)
//      DELTA_CORE_BUNDLE_ONLY=1  write the bundle and stop (the delta-cuda offline bundle carries it)
//      DELTA_CORE_BUNDLE  run this prebuilt bundle instead of bundling (no esbuild needed: GPU servers)
//      DELTA_CORE_BACKEND=delta-cuda registers tfjs-backend-delta/cuda instead of /cpu.
//
// 1. Bundles (esbuild, like `--main-fields=module,main --ignore-annotations`) an entry that
//    imports tfjs-core (ESM dist), its chained ops and gradients, our CPU entry
//    (dist/cjs/cpu/register.js), setup.mjs (test env + filters + one-instance check) and the
//    tfjs-core test files of the listed ops. Everything is bundled together, so our CJS
//    require('@tensorflow/tfjs-core') and tfjs-backend-cpu's import resolve to the same ESM
//    dist/index.js as the test files' relative imports: one tfjs-core, checked below on the
//    metafile and at run time in setup.mjs.
// 2. Runs the bundle with jasmine in this process, with test/helpers/reporter.cjs, and prints how
//    many specs ran per op. Exits non-zero on any failure or when an op ran no spec.
//    With a delta engine, the table also counts the kernel calls the op's specs made by how the
//    engine ran them (from stats()): 'dense' (a delta kernel's dense seed), 'delta' (an update
//    from the previous call of the same slot) and 'fallback' (the dense cpu kernel: kernels
//    without delta support, or unsupported cases). tfjs-core's specs make fresh weights every
//    time, so weighted slots (convs) never get past the seed here: these suites check the seeds
//    and the fallbacks; the update path is covered by our own kernel specs.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {basename, dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {SUITES, opOf, exclusionOf} from './suites.mjs';
import Jasmine from 'jasmine';
import reporterModule from '../helpers/reporter.cjs';

const require = createRequire(import.meta.url);
const {CountingReporter} = reporterModule;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const backendName = process.env.DELTA_CORE_BACKEND || 'delta-cpu';
const outDir = join(root, 'build/core-suites');
const prebuilt = process.env.DELTA_CORE_BUNDLE ? resolve(process.env.DELTA_CORE_BUNDLE) : null;
const bundleFile = prebuilt ?? join(outDir, 'bundle.cjs');
const distDir = resolve(root, process.env.DELTA_CORE_DIST || 'dist');
const webgpu = /webgpu$/.test(backendName);
const entryName = backendName === 'delta-cuda' ? 'cuda' : webgpu ? 'webgpu' : 'cpu';
const registerFile = join(distDir, `cjs/${entryName}/register.js`);
const apiFile = join(distDir, 'cjs/index.js');
const t0 = Date.now();

// A failure before or while loading the specs: report it in the result file too, then exit 1.
function fail(message) {
  console.error(`core-suites: ${message}`);
  if (process.env.DELTA_RESULT_FILE) {
    writeFileSync(process.env.DELTA_RESULT_FILE, JSON.stringify(
        {passed: 0, failed: 1, skipped: 0, failures: [{name: 'tfjs-core kernel suites (setup)', messages: [message]}]}));
  }
  process.exit(1);
}

for (const f of prebuilt ? [prebuilt] : [registerFile, apiFile]) {
  if (!existsSync(f)) fail(`${relative(root, f)} is missing: run \`npm run build\` first`);
}

// ---- 1. bundle ------------------------------------------------------------------------------
const core = '@tensorflow/tfjs-core/dist';
const testFiles = [...new Set(SUITES.flatMap((s) => s.files))];
const entry = [
  `import '${core}/index.js';`,
  // As tfjs-backend-webgl's setup_test does: the ESM index does not register these, the tests use them.
  `import '${core}/public/chained_ops/register_all_chained_ops.js';`,
  `import '${core}/register_all_gradients.js';`,
  // WebGPU in Node: navigator.gpu (Dawn) before tfjs-backend-webgpu is imported (see docs/webgpu-setup.md)
  ...(webgpu ? [`import './webgpu-env.mjs';`, `import 'delta-dist/webgpu/register.js';`, `import 'delta-dist/cpu/register.js';`]
      : [`import 'delta-dist/${entryName}/register.js';`]),
  `import './setup.mjs';`,
  ...testFiles.map((f) => `import '${core}/${f}';`),
].join('\n');

if (!prebuilt) await bundle();
async function bundle() {
const esbuild = await import('esbuild');
mkdirSync(outDir, {recursive: true});
const built = await esbuild.build({
  stdin: {contents: entry, resolveDir: here, sourcefile: 'core-suites-entry.mjs', loader: 'js'},
  bundle: true,
  outfile: bundleFile,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],     // --main-fields=module,main: tfjs-core/-backend-cpu -> ESM dist/index.js
  ignoreAnnotations: true,            // --ignore-annotations: keep side-effect imports (sideEffects lists)
  define: {__DELTA_CORE_BACKEND__: JSON.stringify(backendName)},
  // the Dawn addon package loads its native module itself
  // jasmine_util require()s a jasmine-core path that jasmine-core 7 no longer exports: see the shim.
  alias: {'jasmine-core/lib/jasmine-core/jasmine.js': join(here, 'jasmine-core-shim.cjs')},
  // Native addons cannot be bundled (none expected on the CPU path).
  external: ['*.node', 'webgpu'],
  // 'delta-dist/<path>': <path> in the CJS build under test (dist/cjs, or $DELTA_CORE_DIST/cjs).
  plugins: [{name: 'delta-dist', setup(b) {
    b.onResolve({filter: /^delta-dist\//}, (a) => ({path: join(distDir, 'cjs', a.path.slice('delta-dist/'.length))}));
  }}],
  metafile: true,
  logLevel: 'warning',
}).catch((e) => fail(`bundling failed: ${e.message}`));

// One tfjs-core / one tfjs-backend-cpu: every bundled file of each package comes from one package
// directory and none is a prebuilt UMD/CJS bundle (tf-core.node.js, tf-backend-cpu.node.js, ...).
for (const [pkg, umd] of [['@tensorflow/tfjs-core', /\/dist\/tf-core[.\w]*\.js$/],
                          ['@tensorflow/tfjs-backend-cpu', /\/dist\/tf-backend-cpu[.\w]*\.js$/]]) {
  const inputs = Object.keys(built.metafile.inputs).filter((p) => p.includes(`node_modules/${pkg}/`));
  const roots = new Set(inputs.map((p) => p.slice(0, p.lastIndexOf(`node_modules/${pkg}/`))));
  const bad = inputs.filter((p) => umd.test(p));
  if (inputs.length === 0 || roots.size !== 1 || bad.length) {
    fail(`${pkg} is not bundled exactly once as ESM (copies under: ${[...roots]}; ` +
         `prebuilt bundles: ${bad}; files: ${inputs.length})`);
  }
}
if (process.env.DELTA_CORE_BUNDLE_ONLY === '1') {
  console.log(`core-suites: wrote ${relative(root, bundleFile)}`);
  process.exit(0);
}
}
const tBundle = Date.now();

// ---- 2. run ---------------------------------------------------------------------------------
class OpSummaryReporter {
  constructor(counting) {
    this.counting = counting;
    this.rows = new Map(SUITES.map((s) => [s.op, {op: s.op, ran: 0, passed: 0, failed: 0, excluded: 0}]));
    // Kernel calls by how the delta engine ran them (see setup.mjs); absent without a delta engine.
    this.runs = new Map(SUITES.map((s) => [s.op, null]));
    this.excludedReasons = new Map();  // reason -> count (documented exclusions inside our suites)
    this.otherFiltered = 0;            // specs of other ops' suites sharing the test files
  }
  specDone(r) {
    const runs = globalThis.__deltaCoreSuitesTakeRunCounts?.() ?? null;
    const s = opOf(r.fullName, backendName);
    if (!s) { this.otherFiltered++; return; }
    if (runs) {
      const acc = this.runs.get(s.op) ?? {dense: 0, delta: 0, fallback: 0};
      for (const k of Object.keys(acc)) acc[k] += runs[k];
      this.runs.set(s.op, acc);
    }
    const row = this.rows.get(s.op);
    if (r.status === 'passed' || r.status === 'failed') {
      row.ran++;
      row[r.status]++;
    } else {
      row.excluded++;
      const why = exclusionOf(r.fullName, backendName) ?? `status ${r.status}`;
      this.excludedReasons.set(`${s.op}: ${why}`, (this.excludedReasons.get(`${s.op}: ${why}`) ?? 0) + 1);
    }
  }
  jasmineDone() {
    // Runs before the counting reporter's jasmineDone (added first): an op with no spec run is a
    // failure of this suite, recorded in the result file (not checked under DELTA_CORE_FILTER).
    if (process.env.DELTA_CORE_FILTER) return;
    for (const row of this.rows.values()) {
      if (row.ran === 0) {
        this.counting.failed++;
        this.counting.failures.push({name: `core-suites: ${row.op}`, messages: ['no spec of this op ran']});
      }
    }
  }
}

const runner = new Jasmine({projectBaseDir: root});
runner.loadConfig({
  spec_dir: relative(root, dirname(bundleFile)),
  spec_files: [basename(bundleFile)],
  env: {
    random: false,
    stopSpecOnExpectationFailure: false,
    // tfjs-core's suites were written for jasmine 3, which allowed duplicate names; jasmine 7
    // refuses them by default, and these files have some (e.g. 'concat complex input axis=1' twice
    // in concat3d, 'greyscale: downscale, taller than wider' twice in resizeNearestNeighbor
    // gradients). Allowed again (jasmine prints a one-line deprecation notice).
    forbidDuplicateNames: false,
  },
});
const counting = new CountingReporter();
const summary = new OpSummaryReporter(counting);
runner.addReporter(summary);
runner.addReporter(counting);
runner.exitOnCompletion = false;
// An error while loading the bundle (setup.mjs's checks, a throwing import) rejects here.
const result = await runner.execute(undefined, process.env.DELTA_CORE_FILTER || undefined)
    .catch((e) => fail(`loading the tfjs-core suites failed: ${e.stack ?? e}`));
const tRun = Date.now();

const info = globalThis.__deltaCoreSuitesInfo;
let coreVersion = 'bundled';
try { coreVersion = require('@tensorflow/tfjs-core/package.json').version; } catch { /* prebuilt bundle elsewhere */ }
console.log(`\ntfjs-core kernel suites on '${backendName}' (tfjs-core ${coreVersion}; ` +
            `${info ? `${info.kernels} kernels registered for it; backends: ${info.factories.join(', ')}; ` +
                      `exact mode: ${info.exactMode}` : 'setup did not run'})`);
console.table([...summary.rows.values()].map((r) => {
  const runs = summary.runs.get(r.op);
  return runs ? {...r, 'calls: dense': runs.dense, 'delta': runs.delta, 'fallback': runs.fallback} : r;
}));
for (const [why, n] of summary.excludedReasons) console.log(`excluded ${n}: ${why}`);
if (info?.notDeclared?.length) console.log(`not declared (suites of other ops in the same test files): ${info.notDeclared.join(', ')}`);
if (summary.otherFiltered) console.log(`${summary.otherFiltered} specs outside the listed suites were filtered out`);
const ran = [...summary.rows.values()].reduce((a, r) => a + r.ran, 0);
console.log(`core-suites: ${counting.passed} passed, ${counting.failed} failed, ${ran} specs run; ` +
            `bundle ${((tBundle - t0) / 1000).toFixed(1)} s, run ${((tRun - tBundle) / 1000).toFixed(1)} s`);
// Compact list (name + first line); jasmine's console reporter above has the full messages.
for (const f of counting.failures) console.log(`FAILED: ${f.name}\n  ${String(f.messages[0] ?? '').split('\n')[0]}`);
process.exit(counting.failed === 0 && counting.passed > 0 && result.overallStatus !== 'failed' ? 0 : 1);
