// Headless Chromium (Debian's) + WebGPU on a software adapter, driven by playwright-core (no
// browser download): bundles test/webgpu-env/browser/entry.mjs (tfjs-core + tfjs-backend-webgpu +
// tfjs-converter 4.22, esbuild), serves it on 127.0.0.1 with a node http server, then in the page:
// adapter info + limits, the compaction/indirect-dispatch test (error scopes), tfjs-webgpu dense
// relu/conv2d vs tfjs cpu, and (--posenet) posenet at 257 webgpu vs cpu.
//
//   node test/webgpu-env/browser-smoke.mjs [--config NAME ...] [--matrix] [--posenet] [--frames N]
//
// --config picks flag sets from CONFIGS below (default: DEFAULT_CONFIGS); --matrix tries them all and
// only reports which adapter each gets. Prints "N passed, N failed".
import {createServer} from 'node:http';
import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import {dirname, join, normalize} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as esbuild from 'esbuild';
import {chromium} from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const optAll = (name) => argv.flatMap((a, i) => (a === name ? [argv[i + 1]] : []));

// Debian's launcher /usr/bin/chromium is a shell script that sources /etc/chromium.d (adds
// --load-extension=..., --enable-remote-extensions, API keys); the binary itself works as well.
export const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Flags besides Playwright's defaults (which already include --headless, --no-sandbox when
// chromiumSandbox is false (default), --disable-background-networking, --disable-component-update,
// --disable-sync, --no-first-run, --enable-unsafe-swiftshader and a fresh temporary --user-data-dir).
export const BASE_FLAGS = ['--disable-quic', '--no-default-browser-check', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const LVP_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

export const CONFIGS = {
  // no WebGPU flag at all
  'none': {flags: []},
  // the one flag WebGPU needs on Linux (it is not enabled by default there)
  'unsafe': {flags: ['--enable-unsafe-webgpu']},
  // ask Dawn for its SwiftShader adapter explicitly (Chromium's bundled libvk_swiftshader.so)
  'swiftshader': {flags: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']},
  'swiftshader-nogpu': {flags: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--disable-gpu']},
  'unsafe-nogpu': {flags: ['--enable-unsafe-webgpu', '--disable-gpu']},
  'angle-swiftshader': {flags: ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader']},
  // lavapipe (mesa 25) through the system Vulkan loader: Vulkan feature + VK_ICD_FILENAMES
  'lavapipe': {flags: ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=native', '--ignore-gpu-blocklist'],
    env: {VK_ICD_FILENAMES: LVP_ICD}},
  'lavapipe-dawnvk': {flags: ['--enable-unsafe-webgpu', '--enable-features=Vulkan,SkiaGraphite', '--use-angle=vulkan', '--ignore-gpu-blocklist'],
    env: {VK_ICD_FILENAMES: LVP_ICD}},
};
export const DEFAULT_CONFIGS = ['swiftshader'];

async function buildBundle() {
  const outdir = join(root, 'build', 'webgpu-env');
  mkdirSync(outdir, {recursive: true});
  const t0 = performance.now();
  await esbuild.build({
    entryPoints: [join(here, 'browser', 'entry.mjs')],
    bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
    outfile: join(outdir, 'bundle.js'), logLevel: 'warning', minify: false,
  });
  return {file: join(outdir, 'bundle.js'), ms: Math.round(performance.now() - t0)};
}

function setInputSize(json, h, w) {
  const dims = (d) => { if (d?.length === 4) { d[1].size = String(h); d[2].size = String(w); } };
  for (const node of json.modelTopology.node) if (node.op === 'Placeholder') dims(node.attr?.shape?.shape?.dim);
  for (const input of Object.values(json.signature?.inputs ?? {})) dims(input.tensorShape?.dim ?? []);
}

export function startServer(bundleFile) {
  const models = join(root, '.cache', 'models');
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (code, type, body) => { res.writeHead(code, {'content-type': type, 'cache-control': 'no-store'}); res.end(body); };
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return send(200, 'text/html', '<!doctype html><meta charset="utf-8"><title>webgpu-env</title><script type="module" src="/bundle.js"></script>');
    }
    if (url.pathname === '/favicon.ico') { res.writeHead(204); return res.end(); }
    if (url.pathname === '/bundle.js') return send(200, 'text/javascript', readFileSync(bundleFile));
    if (url.pathname.startsWith('/models/')) {
      const p = normalize(join(models, url.pathname.slice('/models/'.length)));
      if (!p.startsWith(models) || !existsSync(p)) return send(404, 'text/plain', 'not found');
      if (p.endsWith('model.json') && url.searchParams.get('size')) {
        const json = JSON.parse(readFileSync(p, 'utf8'));
        const s = Number(url.searchParams.get('size'));
        setInputSize(json, s, s);
        return send(200, 'application/json', JSON.stringify(json));
      }
      return send(200, p.endsWith('.json') ? 'application/json' : 'application/octet-stream', readFileSync(p));
    }
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function withPage(config, baseUrl, fn) {
  const c = CONFIGS[config];
  const t0 = performance.now();
  const browser = await chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [...BASE_FLAGS, ...c.flags],
    env: {...process.env, ...(c.env || {})},
    timeout: 60_000,
  });
  const launchMs = Math.round(performance.now() - t0);
  const logs = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`.slice(0, 300)));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`.slice(0, 300)));
    await page.goto(baseUrl, {waitUntil: 'load'});
    await page.waitForFunction(() => !!window.webgpuEnv, null, {timeout: 30_000});
    const version = browser.version();
    return {config, flags: c.flags, env: c.env, version, launchMs, ...(await fn(page)), logs: logs.slice(0, 20)};
  } finally {
    await browser.close();
  }
}

const bundle = await buildBundle();
const server = await startServer(bundle.file);
const baseUrl = `http://127.0.0.1:${server.address().port}/`;
console.log(`bundle ${bundle.file} (${bundle.ms} ms), server ${baseUrl}, chromium ${EXECUTABLE}`);

let passed = 0, failed = 0;
try {
  if (argv.includes('--matrix')) {
    for (const config of Object.keys(CONFIGS)) {
      try {
        const r = await withPage(config, baseUrl, async (page) => ({adapter: await page.evaluate(() => window.webgpuEnv.adapter())}));
        const a = r.adapter;
        console.log(`${config.padEnd(18)} ${JSON.stringify(r.flags)} ${r.env ? JSON.stringify(r.env) : ''}\n` +
            `   -> navigator.gpu: ${a.hasNavigatorGpu}, adapter: ${a.info ? `${a.info.vendor}/${a.info.architecture} "${a.info.description}" fallback=${a.info.isFallbackAdapter}` : a.adapter === null ? 'null' : '-'}`);
      } catch (e) {
        console.log(`${config.padEnd(18)} ERROR ${String(e.message).split('\n')[0]}`);
      }
    }
  } else {
    const configs = optAll('--config').length ? optAll('--config') : DEFAULT_CONFIGS;
    for (const config of configs) {
      try {
        const r = await withPage(config, baseUrl, async (page) => {
          const adapter = await page.evaluate(() => window.webgpuEnv.adapter());
          if (!adapter.info) return {adapter};
          const compaction = await page.evaluate(() => window.webgpuEnv.compaction());
          const dense = await page.evaluate(() => window.webgpuEnv.tfjsDense());
          const posenet = argv.includes('--posenet')
            ? await page.evaluate(([f]) => window.webgpuEnv.posenet(257, f, 1), [Number(opt('--frames', 3))])
            : undefined;
          return {adapter, compaction, dense, posenet};
        });
        const ok = !!r.adapter.info && r.compaction?.ok && r.dense.deviceErrors.length === 0 && r.dense.convNonZero &&
            r.dense.reluMaxAbs === 0 && r.dense.convMaxAbs / r.dense.convMaxRef < 1e-5 &&
            (!r.posenet || (r.posenet.deviceErrors.length === 0 && r.posenet.rel.every((e) => e < 1e-3)));
        console.log(`\n== ${config}: ${ok ? 'OK' : 'FAILED'}`);
        console.log(JSON.stringify(r, null, 1));
        if (ok) passed++; else failed++;
      } catch (e) {
        console.log(`\n== ${config}: FAILED\n${e.stack}`);
        failed++;
      }
    }
  }
} finally {
  server.close();
}
if (!argv.includes('--matrix')) console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
