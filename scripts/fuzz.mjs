#!/usr/bin/env node
// Fuzzing the delta backends against the oracle (tfjs' dense 'cpu' backend): seeded random kernel
// configurations of every delta op on random sparse frame sequences (test/fuzz/gen.ts, run.ts).
//
//   npm run fuzz                                   10,000 cases from seed 1 on delta-cpu (2 jobs; the CI run)
//   npm run fuzz -- --seed S --cases K [--backend B]   any slice; seeds S .. S+K-1 (one seed = one case)
//
// Options: --seed S (default $DELTA_FUZZ_SEED or 1)  --cases K (default $DELTA_FUZZ_CASES or 10000)
// --backend B (repeatable or a comma list; default $DELTA_BACKENDS or delta-cpu)
// --jobs N (processes; default min(2, cores))  --max-size N (spatial bound, default 16)
// --kernel K (only cases of kernel K; repeatable)  --verbose (a line per case)  --max-failures N
// --no-build (skip the build steps)  --json FILE (write the summary)  --time-limit S (start no case after
// S seconds; the summary counts the cases that ran: a bounded run on a GPU whose rate is not known here).
// A failing case prints its seed, what failed and a one-line replay command. Exit status 1 on failure.
// Under test/run.mjs ($DELTA_RESULT_FILE set) one result per backend and kernel is written.
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {dirname, join} from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

// The delta-cuda offline bundle (scripts/bundle.mjs) runs this file bundled: its entry sets
// globalThis.__deltaFuzzBundle = {run, backends, self} (the test modules, this script's bundled file) first.
const bundled = globalThis.__deltaFuzzBundle ?? null;
const self = bundled ? bundled.self : fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
if (!bundled) process.chdir(root);
const require = bundled ? null : createRequire(import.meta.url);
const fuzzModule = () => bundled?.run ?? require(join(root, 'build/test/fuzz/run.js'));
const backendsModule = () => bundled?.backends ?? require(join(root, 'build/test/fuzz/backends.js'));

function parseArgs(argv) {
  const env = (name, def) => (process.env[name] ? Number(process.env[name]) : def);
  const o = {seed: env('DELTA_FUZZ_SEED', 1), cases: env('DELTA_FUZZ_CASES', 10000),
    backends: [], jobs: Math.min(2, cpus().length), maxSize: undefined, kernels: [],
    verbose: false, build: true, json: null, maxFailures: 0, worker: false, deadline: 0};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (name, v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be an integer >= 0, got ${v}`);
      return n;
    };
    switch (a) {
      case '--seed': o.seed = int('--seed', val()); break;
      case '--cases': o.cases = int('--cases', val()); break;
      case '--backend': o.backends.push(...val().split(',').filter(Boolean)); break;
      case '--jobs': o.jobs = Math.max(1, int('--jobs', val())); break;
      case '--max-size': o.maxSize = Math.max(1, int('--max-size', val())); break;
      case '--kernel': o.kernels.push(...val().split(',').filter(Boolean)); break;
      case '--verbose': o.verbose = true; break;
      case '--no-build': o.build = false; break;
      case '--json': o.json = val(); break;
      case '--max-failures': o.maxFailures = int('--max-failures', val()); break;
      case '--worker': o.worker = true; break;
      case '--time-limit': o.deadline = Date.now() + 1000 * int('--time-limit', val()); break;
      case '--deadline': o.deadline = int('--deadline', val()); break;  // workers: the parent's deadline
      case '-h': case '--help':
        console.log(readFileSync(self, 'utf8').split('\n').slice(1).filter((l, i, a) => a.slice(0, i + 1).every((m) => m.startsWith('//')))
          .map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  if (o.backends.length === 0) o.backends = (process.env.DELTA_BACKENDS ?? 'delta-cpu').split(',').filter(Boolean);
  o.backends = [...new Set(o.backends)];
  return o;
}

function newestMtime(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

function build() {
  // The package (dist/) when it is missing or older than src/, then the specs (esbuild, ~1 s).
  const dist = 'dist/cjs/index.js';
  if (!existsSync(dist) || statSync(dist).mtimeMs < newestMtime('src')) {
    console.log('[fuzz] building the package (npm run build)');
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], {stdio: 'inherit'});
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const r = spawnSync(process.execPath, ['scripts/build-tests.mjs'], {stdio: 'inherit'});
  if (r.status !== 0) throw new Error('building the tests failed');
}

/** Runs a slice in this process; returns the summary per backend. */
async function runInProcess(o) {
  const {runFuzz, replayCommand} = fuzzModule();
  const out = [];
  let printed = 0;
  for (const backend of o.backends) {
    const summary = await runFuzz({
      seed: o.seed, cases: o.cases, backend, maxSize: o.maxSize, kernels: o.kernels, maxFailures: o.maxFailures,
      deadline: o.deadline || undefined,
      onCase: (c) => {
        if (o.verbose) console.log(`[fuzz] ${backend} seed ${c.seed} ${c.failures.length ? 'FAIL' : 'ok  '} ${c.ms} ms  ${c.label}`);
        if (!c.failures.length) return;
        // Details of the first failures of this process; the end of the run lists every failing seed.
        if (o.verbose || printed < 10) printFailure(c, backend, replayCommand(c.seed, backend, o.maxSize));
        else if (printed === 10) console.log(`[fuzz] (details of further failures of seeds ${o.seed}..${o.seed + o.cases - 1} left out; their seeds are listed at the end)`);
        printed++;
      },
    });
    out.push(summary);
  }
  return out;
}

function printFailure(c, backend, replay) {
  const lines = [`[fuzz] FAILED ${backend} seed ${c.seed}: ${c.label}`,
    ...c.failures.slice(0, 6).map((f) => `    ${f.split('\n').slice(0, 4).join('\n      ')}`)];
  if (c.failures.length > 6) lines.push(`    ... and ${c.failures.length - 6} more`);
  lines.push(`  replay: ${replay}`);
  console.log(lines.join('\n'));
}

/** Splits the seed range over `jobs` worker processes (each runs its contiguous slice). */
async function runInWorkers(o) {
  const tmp = join('build', 'results', `fuzz-${process.pid}`);
  mkdirSync(tmp, {recursive: true});
  const per = Math.ceil(o.cases / o.jobs);
  const children = [];
  for (let j = 0; j < o.jobs; j++) {
    const start = o.seed + j * per, count = Math.min(per, o.cases - j * per);
    if (count <= 0) break;
    const json = join(tmp, `job-${j}.json`);
    const args = [self, '--worker', '--no-build', '--seed', String(start), '--cases', String(count),
      '--backend', o.backends.join(','), '--json', json];
    if (o.maxSize) args.push('--max-size', String(o.maxSize));
    for (const k of o.kernels) args.push('--kernel', k);
    if (o.verbose) args.push('--verbose');
    if (o.maxFailures) args.push('--max-failures', String(o.maxFailures));
    if (o.deadline) args.push('--deadline', String(o.deadline));
    children.push(new Promise((resolve) => {
      const child = spawn(process.execPath, args, {stdio: ['ignore', 'inherit', 'inherit']});
      child.on('exit', (code, signal) => resolve({json, code, signal, start, count}));
    }));
  }
  const results = await Promise.all(children);
  const byBackend = new Map();
  for (const r of results) {
    if (!existsSync(r.json)) {
      throw new Error(`fuzz worker for seeds ${r.start}..${r.start + r.count - 1} exited ${r.code ?? r.signal} without a summary ` +
        `(replay: ${process.env.DELTA_FUZZ_REPLAY || 'npm run fuzz --'} --seed ${r.start} --cases ${r.count} --jobs 1 --verbose)`);
    }
    for (const s of JSON.parse(readFileSync(r.json, 'utf8'))) {
      const acc = byBackend.get(s.backend);
      if (!acc) { byBackend.set(s.backend, {...s, seed: o.seed}); continue; }
      acc.cases += s.cases;
      acc.failed.push(...s.failed);
      (acc.unsupported ??= []).push(...(s.unsupported ?? []));
      acc.ms = Math.max(acc.ms, s.ms);
      for (const [k, v] of Object.entries(s.perKernel)) {
        const a = acc.perKernel[k];
        if (!a) { acc.perKernel[k] = v; continue; }
        a.cases += v.cases; a.failed += v.failed; a.ms += v.ms; a.unsupported = (a.unsupported ?? 0) + (v.unsupported ?? 0);
        a.worstRel = Math.max(a.worstRel, v.worstRel); a.worstInv = Math.max(a.worstInv, v.worstInv);
      }
    }
  }
  rmSync(tmp, {recursive: true, force: true});
  return [...byBackend.values()];
}

function report(summaries, o, wallMs) {
  const {replayCommand} = fuzzModule();
  let failedCases = 0;
  const results = {passed: 0, failed: 0, skipped: 0, failures: []};
  for (const s of summaries) {
    const rows = Object.entries(s.perKernel).sort(([a], [b]) => a.localeCompare(b)).map(([kernel, v]) => ({
      kernel, cases: v.cases, failed: v.failed, unsupported: v.unsupported ?? 0, 'worst exact rel': v.worstRel.toExponential(2),
      'worst invariant (x tol)': v.worstInv.toFixed(2), 'ms/case': (v.ms / Math.max(1, v.cases)).toFixed(1),
    }));
    console.table(rows);
    failedCases += s.failed.length;
    const cut = s.cases < o.cases ? ` of ${o.cases} (time limit: each job stopped early)` : '';
    console.log(`[fuzz] ${s.backend}: ${s.cases} cases${cut} (seeds ${o.seed}..${o.seed + o.cases - 1}), ${s.cases - s.failed.length} passed, ` +
      `${s.failed.length} failed, ${(wallMs / 1000).toFixed(1)} s wall (${o.jobs} job${o.jobs > 1 ? 's' : ''})`);
    if (s.uncovered.length) console.log(`[fuzz] FAILED: op-table kernels without a fuzz generator: ${s.uncovered.join(', ')}`);
    if (s.unsupported?.length) {
      // not failures: configurations this backend's data plane runs dense (values still checked); by reason
      const by = new Map();
      // grouped without shapes (delta-cuda's reasons name them: "broadcast of [1,4] to [2,3,4]")
      for (const u of s.unsupported) {
        const why = u.reason.replace(/\[[\d,]*\]/g, '[..]');
        by.set(why, [...(by.get(why) ?? []), u.seed]);
      }
      console.log(`[fuzz] ${s.backend}: ${s.unsupported.length} cases ran dense (unsupported by its data plane, values checked):`);
      for (const [why, seeds] of by) console.log(`  ${seeds.length} x ${why} (seeds ${seeds.slice(0, 5).join(' ')}${seeds.length > 5 ? ' ...' : ''})`);
    }
    for (const [kernel, v] of Object.entries(s.perKernel)) {
      const failed = s.failed.filter((c) => c.target === kernel);
      if (v.failed === 0) results.passed++;
      else {
        results.failed++;
        results.failures.push({name: `fuzz ${s.backend} ${kernel}: ${v.failed} of ${v.cases} cases failed`,
          messages: failed.slice(0, 3).map((c) => `seed ${c.seed} ${c.label}: ${c.failures[0].split('\n')[0]} -- replay: ${replayCommand(c.seed, s.backend, o.maxSize)}`)});
      }
    }
    if (s.uncovered.length) {
      results.failed++;
      results.failures.push({name: `fuzz ${s.backend}: generator coverage`, messages: [`no generator for ${s.uncovered.join(', ')}`]});
    }
    if (s.failed.length) {
      console.log(`[fuzz] failing seeds on ${s.backend}: ${s.failed.map((c) => c.seed).join(' ')}`);
      console.log(`[fuzz] replay one: ${replayCommand(s.failed[0].seed, s.backend, o.maxSize)}`);
    }
  }
  if (process.env.DELTA_RESULT_FILE) writeFileSync(process.env.DELTA_RESULT_FILE, JSON.stringify(results));
  return failedCases === 0 && summaries.every((s) => s.uncovered.length === 0);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) {
    const summaries = await runInProcess(o);
    writeFileSync(o.json, JSON.stringify(summaries));
    return;
  }
  if (o.build && !bundled) build();
  // Every backend must load here, with a clear message, before workers start.
  const {loadBackend} = backendsModule();
  for (const b of o.backends) loadBackend(b);
  const t0 = Date.now();
  const jobs = Math.min(o.jobs, Math.max(1, o.cases));
  const summaries = jobs > 1 ? await runInWorkers({...o, jobs}) : await runInProcess(o);
  const ok = report(summaries, {...o, jobs}, Date.now() - t0);
  if (o.json) writeFileSync(o.json, JSON.stringify(summaries, null, 1));
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(`[fuzz] ${process.env.DELTA_FUZZ_DEBUG ? e.stack : e.message ?? e}`);
  if (process.env.DELTA_RESULT_FILE) {
    writeFileSync(process.env.DELTA_RESULT_FILE, JSON.stringify({passed: 0, failed: 1, skipped: 0, failures: [{name: 'fuzz', messages: [String(e.message ?? e)]}]}));
  }
  process.exitCode = 1;
});
