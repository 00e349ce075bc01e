// delta-webgpu in headless Chromium (issue 4's browser acceptance): Debian's chromium driven by
// playwright-core with --enable-unsafe-webgpu (WebGPU on Chromium's SwiftShader adapter: the only one
// it offers here, docs/webgpu-setup.md §4), one browser per page, pages served from 127.0.0.1:
//
//   kernels  the shared per-kernel delta specs (test/webgpu/*.spec.ts: test/kernels/harness.ts driven on
//            delta-webgpu, dense cpu as the reference in the same page, device error scopes per frame)
//   core     tfjs-core's kernel suites (test/core-suites/suites.mjs) on delta-webgpu in exact mode, every
//            spec inside validation/internal/out-of-memory error scopes
//   models   the five real models on vtest.avi and pose_1.mp4 (frames decoded by ffmpeg in Node),
//            delta-webgpu exact mode vs dense tfjs-webgpu in the same page
//   umd      dist/tf-backend-delta.min.js with the official tfjs UMD bundles (<script> tags, global tf)
//   bundlers an app importing 'tfjs-backend-delta/webgpu' built with esbuild and with Vite: one tfjs-core
//            in the bundle, tree-shaking, and the built app runs in the page
//
// Every page reports {passed, failed, skipped, failures}; the sum goes to DELTA_RESULT_FILE (test/run.mjs).
// Usage: npm run build && node test/browser/run.mjs
// Env:   DELTA_BROWSER_PAGES   regexp of page names to run (default all)
//        DELTA_BROWSER_FILTER  regexp of spec full names (jasmine pages)
//        DELTA_KERNEL_SCALE    cases per kernel spec (default here 0.5: see SCALE below)
//        DELTA_BROWSER_FRAMES  frames per model and clip (default 3)
//        DELTA_BROWSER_CORE    'all' runs every listed tfjs-core suite (default: see CORE_SUBSET)
//        CHROMIUM_PATH         the browser (default /usr/bin/chromium)
import {createServer} from 'node:http';
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, normalize, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';
import {chromium} from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const out = join(root, 'build/browser');
const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Playwright adds --headless, --no-sandbox, --enable-unsafe-swiftshader, a fresh profile, ...
const FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--disable-quic', '--no-default-browser-check',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const only = process.env.DELTA_BROWSER_PAGES ? new RegExp(process.env.DELTA_BROWSER_PAGES) : null;
const specFilter = process.env.DELTA_BROWSER_FILTER || '';
const t0 = Date.now();
const log = (m) => console.log(`[browser] ${m}`);

function writeResult(res) {
  if (process.env.DELTA_RESULT_FILE) writeFileSync(process.env.DELTA_RESULT_FILE, JSON.stringify(res));
}
function die(message) {
  console.error(`[browser] ${message}`);
  writeResult({passed: 0, failed: 1, skipped: 0, failures: [{name: 'browser suite (setup)', messages: [message]}]});
  process.exit(1);
}

if (!existsSync(EXECUTABLE)) die(`${EXECUTABLE} not found: install Debian's chromium (scripts/webgpu/setup.sh) or set CHROMIUM_PATH`);
for (const f of ['dist/browser/webgpu.mjs', 'dist/tf-backend-delta.min.js']) {
  if (!existsSync(join(root, f))) die(`${f} is missing: run \`npm run build\` first`);
}
mkdirSync(out, {recursive: true});

// ---- bundling ---------------------------------------------------------------------------------

// The package by its own name through package.json "exports" with the "browser" condition, as an
// app's bundler sees it (dist/browser/*.mjs); Node built-ins of the shared specs -> node-stub.cjs.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const testResolve = {
  name: 'test-resolve',
  setup(b) {
    b.onResolve({filter: /^tfjs-backend-delta(\/|$)/}, (a) => {
      const sub = `.${a.path.slice('tfjs-backend-delta'.length)}`;
      const target = pkg.exports[sub === '.' ? '.' : sub]?.browser;
      if (!target) return {errors: [{text: `package.json exports['${sub}'] has no "browser" condition (Node-only entry?)`}]};
      return {path: join(root, target)};
    });
    b.onResolve({filter: /^(node:)?(fs|path|os|crypto|child_process|url|module|worker_threads)$/}, () => ({path: join(here, 'node-stub.cjs')}));
  },
};

async function bundle(name, contents, {define = {}, resolveDir = root, loader = 'ts'} = {}) {
  const file = join(out, `${name}.js`);
  const t = Date.now();
  const r = await esbuild.build({
    stdin: {contents, resolveDir, sourcefile: `${name}-entry.${loader}`, loader},
    bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', outfile: file,
    // The shared specs read a few process.env settings: a page global instead (set by the page).
    define: {'process.env': 'globalThis.__DELTA_ENV__', ...define},
    alias: {'jasmine-core/lib/jasmine-core/jasmine.js': join(root, 'test/core-suites/jasmine-core-shim.cjs')},
    // package.json "sideEffects" covers this repository's files too: keep the specs' side-effect imports.
    ignoreAnnotations: true,
    plugins: [testResolve], logLevel: 'error', sourcemap: 'inline', metafile: true,
  });
  return {file, ms: Date.now() - t, metafile: r.metafile};
}

// ---- the server -------------------------------------------------------------------------------

const pages = new Map();   // name -> html
let adapter = null;            // the page's WebGPU adapter (first page)
const cpuSeconds = new Map();  // browser page -> CPU seconds of its browser processes (for CI time budgets)
const frames = new Map();  // 'model/clip' -> Uint8Array (all frames, concatenated)
function setInputSize(json, h, w) {
  const dims = (d) => { if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); } };
  for (const node of json.modelTopology.node) if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
  for (const input of Object.values(json.signature?.inputs ?? {})) dims(input.tensorShape?.dim ?? []);
}
const STATIC = {
  '/jasmine.js': join(root, 'node_modules/jasmine-core/lib/jasmine-core/jasmine.js'),
  '/jasmine-run.js': join(here, 'page/jasmine-run.js'),
};
function serve(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = decodeURIComponent(url.pathname);
  const send = (code, type, body) => { res.writeHead(code, {'content-type': type, 'cache-control': 'no-store'}); res.end(body); };
  const file = (f) => {
    if (!existsSync(f)) return send(404, 'text/plain', `not found: ${p}`);
    const type = /\.m?js$/.test(f) ? 'text/javascript' : f.endsWith('.html') ? 'text/html' : f.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return send(200, type, readFileSync(f));
  };
  const under = (dir, rest) => { const f = normalize(join(dir, rest)); return f.startsWith(dir) ? file(f) : send(403, 'text/plain', 'no'); };
  if (p === '/favicon.ico') { res.writeHead(204); return res.end(); }
  if (p.startsWith('/page/')) return pages.has(p.slice(6)) ? send(200, 'text/html', pages.get(p.slice(6))) : send(404, 'text/plain', 'no page');
  if (STATIC[p]) return file(STATIC[p]);
  if (p.startsWith('/b/')) return under(out, p.slice(3));
  if (p.startsWith('/dist/')) return under(join(root, 'dist'), p.slice(6));
  if (p.startsWith('/tfjs/')) {  // /tfjs/<package dir>/<file>: the official UMD bundles
    const [dir, ...rest] = p.slice(6).split('/');
    return under(join(root, 'node_modules/@tensorflow', dir, 'dist'), rest.join('/'));
  }
  if (p.startsWith('/frames/')) {
    const f = frames.get(p.slice(8));
    return f ? send(200, 'application/octet-stream', Buffer.from(f.buffer, f.byteOffset, f.byteLength)) : send(404, 'text/plain', 'no frames');
  }
  if (p === '/umd-page.js') return file(join(here, 'page/umd-page.js'));
  if (p.startsWith('/models/')) {
    const models = join(root, '.cache/models');
    const f = normalize(join(models, p.slice(8)));
    if (!f.startsWith(models) || !existsSync(f)) return send(404, 'text/plain', 'not found');
    if (f.endsWith('model.json') && url.searchParams.get('size')) {
      const json = JSON.parse(readFileSync(f, 'utf8'));
      const [h, w] = url.searchParams.get('size').split('x').map(Number);
      setInputSize(json, h, w ?? h);
      return send(200, 'application/json', JSON.stringify(json));
    }
    return file(f);
  }
  send(404, 'text/plain', 'not found');
}

function jasminePage(bundleName, env) {
  return `<!doctype html><meta charset="utf-8"><title>${bundleName}</title>
<script>globalThis.__DELTA_ENV__ = ${JSON.stringify(env)};
addEventListener('error', (e) => { window.__bundleError = String(e.error?.stack ?? e.message); });</script>
<script src="/jasmine.js"></script><script src="/jasmine-run.js"></script>
<script type="module" src="/b/${bundleName}.js"></script>`;
}

// ---- running a page ---------------------------------------------------------------------------

/** CPU seconds (user + system) used so far by the processes whose command line holds `marker`, and their
 *  descendants (Linux /proc), or null. */
function cpuSecondsOfTree(marker) {
  try {
    const roots = [];
    const children = new Map();
    const ticks = new Map();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const st = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');   // fields from 3 (state) on
        const ppid = Number(f[1]);
        if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker)) roots.push(Number(d));
        ticks.set(Number(d), Number(f[11]) + Number(f[12]));     // utime + stime
        if (!children.has(ppid)) children.set(ppid, []);
        children.get(ppid).push(Number(d));
      } catch { /* gone */ }
    }
    if (!roots.length) return null;
    let sum = 0;
    const seen = new Set();
    const stack = [...roots];
    while (stack.length) {
      const p = stack.pop();
      if (seen.has(p)) continue;
      seen.add(p);
      sum += ticks.get(p) ?? 0;
      stack.push(...(children.get(p) ?? []));
    }
    return sum / 100;   // USER_HZ
  } catch {
    return null;
  }
}

/** Opens /page/<name> in a fresh browser and runs `fn(page)`; console lines go to build/browser/<name>.log. */
async function withBrowser(name, timeoutMs, fn, path = `/page/${name}`) {
  // A marker switch (Chromium ignores unknown ones) finds this browser's processes for the CPU count.
  const marker = `--delta-browser-suite=${process.pid}-${name}`;
  const browser = await chromium.launch({executablePath: EXECUTABLE, headless: true, args: [...FLAGS, marker], timeout: 60_000});
  const lines = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    page.on('console', (m) => {
      const text = m.text();
      lines.push(`${m.type()}: ${text}`);
      if (text.startsWith('[spec] FAIL') || text.startsWith('[page]') || (m.type() === 'error' && !text.includes('DEPRECATION'))) console.log(`  ${name}: ${text.slice(0, 400)}`);
    });
    page.on('pageerror', (e) => { lines.push(`pageerror: ${e.stack ?? e.message}`); console.log(`  ${name}: pageerror ${e.message}`); });
    page.on('crash', () => lines.push('page crashed'));
    await page.goto(`${base}${path}`, {waitUntil: 'load'});
    if (!adapter) {
      // Which adapter Dawn gives the page (SwiftShader here: docs/webgpu-setup.md §4), once per run.
      adapter = await page.evaluate(async () => {
        const a = await navigator.gpu?.requestAdapter();
        return a ? {vendor: a.info.vendor, architecture: a.info.architecture, fallback: a.info.isFallbackAdapter, chromium: navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]} : null;
      });
      log(`WebGPU adapter in the page: ${JSON.stringify(adapter)}`);
    }
    return await fn(page);
  } finally {
    const cpu = cpuSecondsOfTree(marker);
    if (cpu !== null) cpuSeconds.set(name, cpu);
    writeFileSync(join(out, `${name}.log`), lines.join('\n'));
    await browser.close().catch(() => {});
  }
}

async function runJasminePage(name, timeoutMs) {
  return withBrowser(name, timeoutMs, async (page) => {
    await page.waitForFunction(() => window.__bundleLoaded === true || window.__bundleError, null, {timeout: 120_000});
    const err = await page.evaluate(() => window.__bundleError);
    if (err) throw new Error(`bundle failed to load: ${err}`);
    return page.evaluate((f) => window.__runJasmine(f), specFilter);
  });
}

/** A page whose window.__runChecks(arg) resolves to [{name, ok, detail}]: one spec per check. */
async function runChecksPage(name, timeoutMs, arg, path) {
  return withBrowser(name, timeoutMs, async (page) => {
    await page.waitForFunction(() => typeof window.__runChecks === 'function' || window.__bundleError, null, {timeout: 120_000});
    const err = await page.evaluate(() => window.__bundleError);
    if (err) throw new Error(`page failed to load: ${err}`);
    const checks = await page.evaluate((a) => window.__runChecks(a), arg);
    return checksResult(checks);
  }, path);
}
function checksResult(checks) {
  const r = {passed: 0, failed: 0, skipped: 0, failures: []};
  for (const c of checks) {
    if (c.ok) r.passed++;
    else { r.failed++; r.failures.push({name: c.name, messages: [c.detail || 'failed']}); }
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : `: ${c.detail}`}`);
  }
  return r;
}

// ---- the pages --------------------------------------------------------------------------------

const PAGES = (await import('./pages.mjs')).definePages({root, here, out, bundle, pages, frames, jasminePage, runJasminePage, runChecksPage, checksResult, withBrowser, log});

const server = createServer(serve);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
log(`chromium ${EXECUTABLE}, server ${base}, pages ${PAGES.filter((p) => !only || only.test(p.name)).map((p) => p.name).join(', ')}`);

const total = {passed: 0, failed: 0, skipped: 0, failures: []};
// After every page (partial results survive an interrupted run). Load average too: on a shared machine
// wall times say little; the browsers' CPU seconds say more.
function writeResults(complete) {
  writeFileSync(join(out, 'results.json'), JSON.stringify({date: new Date().toISOString(), complete, seconds: (Date.now() - t0) / 1000,
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(), adapter, rows, failures: total.failures}, null, 1));
}
const rows = [];
for (const p of PAGES) {
  if (only && !only.test(p.name)) continue;
  const tp = Date.now();
  let r;
  try {
    r = await p.run();
  } catch (e) {
    r = {passed: 0, failed: 1, skipped: 0, failures: [{name: `browser page ${p.name}`, messages: [String(e.stack ?? e).slice(0, 4000)]}]};
  }
  const secs = (Date.now() - tp) / 1000;
  let cpu = 0;
  for (const [k, v] of cpuSeconds) if (k === p.name || k.startsWith('app-')) { cpu += v; cpuSeconds.delete(k); }
  for (const f of r.failures) f.name = `[chromium ${p.name}] ${f.name}`;
  total.passed += r.passed; total.failed += r.failed; total.skipped += r.skipped; total.failures.push(...r.failures);
  rows.push({page: p.name, what: p.what, passed: r.passed, failed: r.failed, skipped: r.skipped, seconds: +secs.toFixed(1), 'browser cpu s': +cpu.toFixed(0), ...(r.note ? {note: r.note} : {})});
  log(`${p.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${secs.toFixed(1)} s)`);
  for (const f of r.failures.slice(0, 20)) console.log(`FAILED: ${f.name}\n  ${f.messages.join('\n  ').slice(0, 1500)}`);
  writeResults(false);
}
server.close();
console.table(rows);
writeResults(true);
writeResult(total);
console.log(`browser: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(total.failed === 0 && total.passed > 0 ? 0 : 1);
