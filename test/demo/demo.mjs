// The browser demo end to end (issue 7): builds it (vite build), serves the static build, and drives
// Debian's headless Chromium (playwright-core, no browser download):
//   1. WebGPU on SwiftShader, posenet (161x161) on the bundled clip pose_1, dense tfjs-webgpu and
//      delta-webgpu on every frame: at input threshold 0 (exact mode) delta's keypoints are dense's;
//      the fps readouts are numbers; the skeleton is drawn; the layer map is within the layer's stats row;
//      at 5% the keypoints stay near dense; then on vtest-48 (codec noise) the slider 5% -> 0 raises
//      the re-sent input and the mean active share; no console errors; screenshots -> build/artifacts/demo.png (pose_1), demo-vtest.png.
//   2. No WebGPU (Chromium without --enable-unsafe-webgpu): the page says so and runs delta-cpu vs cpu
//      (posenet at 129) when asked; screenshot -> build/artifacts/demo-cpu.png.
// Writes {passed, failed, skipped, failures} to $DELTA_RESULT_FILE (test/run.mjs) and prints the figures.
//
//   node test/demo/demo.mjs [--frames N] [--size S] [--no-build]
import {spawnSync} from 'node:child_process';
import {createServer} from 'node:http';
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {dirname, extname, join, normalize, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const opt = (name, def) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : def; };
const FRAMES = Number(opt('--frames', 5));
const SIZE = Number(opt('--size', 161));   // posenet input on SwiftShader (257 in the page by default)
const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(root, 'build', 'artifacts');
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];   // as test/webgpu-env/browser-smoke.mjs
const BASE_FLAGS = ['--disable-quic', '--no-default-browser-check', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const result = {passed: 0, failed: 0, skipped: 0, failures: []};
const figures = {};
function check(name, ok, detail) {
  if (ok) result.passed++;
  else { result.failed++; result.failures.push({name, messages: [String(detail)]}); }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail !== undefined ? `: ${detail}` : ''}`);
}
function finish() {
  if (process.env.DELTA_RESULT_FILE) writeFileSync(process.env.DELTA_RESULT_FILE, JSON.stringify(result));
  console.log(JSON.stringify(figures, null, 1));
  console.log(`${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`);
  process.exit(result.failed ? 1 : 0);
}

if (!existsSync(EXECUTABLE)) {
  result.skipped = 1;
  result.failures = [];
  console.log(`SKIPPED: no Chromium at ${EXECUTABLE} (apt-get install chromium, or set CHROMIUM_PATH)`);
  finish();
}
const {chromium} = await import('playwright-core');

// ---- build and serve ----------------------------------------------------------------------------
const prep = spawnSync(process.execPath, [join(root, 'demo/prepare.mjs'), '--models', 'movenet-lightning,posenet'], {stdio: 'inherit'});
if (prep.status !== 0) { check('demo/prepare.mjs', false, `exit ${prep.status}`); finish(); }
const dist = join(root, 'build', 'demo');
if (!argv.includes('--no-build')) {
  const t0 = Date.now();
  const {build} = await import('vite');
  await build({configFile: join(root, 'demo/vite.config.mjs'), logLevel: 'warn'});
  figures.buildSeconds = (Date.now() - t0) / 1000;
}
const TYPES = {'.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.mp4': 'video/mp4'};
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = normalize(join(dist, path === '/' ? 'index.html' : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); return res.end(); }
  const body = readFileSync(file);
  // Range requests: media elements ask for them
  const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  if (range) {
    const start = Number(range[1]), end = range[2] ? Number(range[2]) : body.length - 1;
    res.writeHead(206, {'content-type': type, 'content-range': `bytes ${start}-${end}/${body.length}`, 'accept-ranges': 'bytes', 'content-length': end - start + 1});
    return res.end(body.subarray(start, end + 1));
  }
  res.writeHead(200, {'content-type': type, 'accept-ranges': 'bytes', 'content-length': body.length});
  res.end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
mkdirSync(ARTIFACTS, {recursive: true});

async function openPage(flags, query) {
  const browser = await chromium.launch({executablePath: EXECUTABLE, headless: true, args: [...BASE_FLAGS, ...flags], timeout: 60_000});
  const page = await browser.newPage({viewport: {width: 1100, height: 1000}});
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`.slice(0, 400)); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`.slice(0, 400)));
  page.on('crash', () => errors.push('the page crashed'));
  await page.goto(base + query, {waitUntil: 'load'});
  return {browser, page, errors};
}
const snap = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__demo)));
async function waitFrames(page, n, timeoutS) {
  await page.waitForFunction((n) => window.__demo.frames >= n || window.__demo.errors.length > 0, n, {timeout: timeoutS * 1000, polling: 250});
  return snap(page);
}
/** Distances (source px) between delta and dense keypoints that dense is confident about (score >= 0.3). */
function kpDistances(s) {
  const d = s.keypoints.dense, x = s.keypoints.delta;
  if (!d || !x) return [];
  return d.map((k, i) => (k.score >= 0.3 ? Math.hypot(k.x - x[i].x, k.y - x[i].y) : null)).filter((v) => v !== null);
}
const median = (a) => { const b = [...a].sort((p, q) => p - q); return b.length ? b[b.length >> 1] : NaN; };
const mean = (a) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
/** Pixels of the view canvas close to a color (the skeletons are drawn in fixed colors). */
const colorPixels = (page, rgb) => page.evaluate((rgb) => {
  const c = document.getElementById('view');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let p = 0; p < d.length; p += 4) if (Math.abs(d[p] - rgb[0]) < 12 && Math.abs(d[p + 1] - rgb[1]) < 12 && Math.abs(d[p + 2] - rgb[2]) < 12) n++;
  return n;
}, rgb);

// ---- 1. WebGPU (SwiftShader) ------------------------------------------------------------------------
try {
  const t0 = Date.now();
  const {browser, page, errors} = await openPage(WEBGPU_FLAGS, `?clip=pose_1&model=posenet&size=${SIZE}&mode=both&threshold=0`);
  try {
    let s = await waitFrames(page, FRAMES, 240);
    check('webgpu: page runs dense tfjs-webgpu and delta-webgpu', s.backendKind === 'webgpu' && s.frames >= FRAMES && !s.errors.length,
        `backend ${s.backendKind}, ${s.frames} frames, errors: ${s.errors.join(' | ') || 'none'}`);
    const exact = kpDistances(s);
    figures.exactModeKeypointMaxPx = Math.max(...exact);
    check('webgpu: exact mode (threshold 0): delta keypoints = dense keypoints (< 0.5 px)', exact.length >= 5 && Math.max(...exact) < 0.5,
        `${exact.length} confident keypoints, max ${Math.max(...exact).toFixed(4)} px`);
    const fpsText = [await page.textContent('#fps-dense'), await page.textContent('#fps-delta')];
    figures.fps = {dense: fpsText[0], delta: fpsText[1], msDense: s.ms.dense, msDelta: s.ms.delta};
    check('webgpu: fps readouts are numbers', fpsText.every((t) => /^\d+(\.\d+)?$/.test(t.trim()) && Number(t) > 0), fpsText.join(' / '));
    const magenta = await colorPixels(page, [0xe0, 0x40, 0xfb]), green = await colorPixels(page, [0x22, 0xc5, 0x5e]);
    figures.skeletonPixels = {delta: magenta, dense: green};
    check('webgpu: keypoints drawn (skeleton pixels on the view canvas)', magenta > 100 && green > 100, `delta ${magenta}, dense ${green} px`);
    // every pixel whose value changed is in the layer's update (propagated), so the map's share is at most the stats'
    // activeFraction: equal after a diff pass, below it when a busy layer passes its dense output on as a full update
    const steps = s.history.filter((h) => h.layerMode === 'delta' && h.layerChanged !== null && h.layerStats !== null);
    const worst = Math.max(...steps.map((h) => h.layerChanged - h.layerStats));
    figures.layerMap = steps.map((h) => `${h.layer}: map ${h.layerChanged.toFixed(4)} stats ${h.layerStats.toFixed(4)}`);
    check('webgpu: layer map (changed output pixels) <= the layer\'s stats activeFraction on delta steps', steps.length >= FRAMES - 3 && worst < 1e-9,
        `${steps.length} steps, worst excess of the map over stats ${worst}`);
    // The threshold slider on pose_1 (a clean render: only the dancer changes): keypoints stay near dense.
    await page.locator('#threshold').fill('5');
    let at = s.frames;
    s = await waitFrames(page, at + 3, 240);   // frame at+1 is the keyframe that applies the threshold on delta-webgpu
    const near = kpDistances(s);
    figures.thresholdKeypointsPx = near.map((d) => Number(d.toFixed(2)));
    check('webgpu: at 5% delta keypoints stay near dense (median < 6 px of a 576 px frame)', near.length >= 5 && median(near) < 6,
        `${near.length} confident keypoints, median ${median(near).toFixed(2)} px, max ${Math.max(...near).toFixed(2)} px`);

    await page.screenshot({path: join(ARTIFACTS, 'demo.png'), fullPage: true});

    // ... and on vtest-48 (real camera footage: codec noise everywhere), where it matters: 5% -> 0.
    await page.selectOption('#source', 'vtest-48');
    await page.waitForFunction(() => window.__demo.source === 'vtest-48' && window.__demo.history.length >= 3 || window.__demo.errors.length > 0,
        null, {timeout: 240_000, polling: 250});
    s = await snap(page);
    // delta steps only: frame 0 of the clip and the keyframe after a slider move run every layer dense
    const deltaSteps = (h) => h.activeMean !== null;
    const high = s.history.filter(deltaSteps);
    await page.locator('#threshold').fill('0');
    at = s.frames;
    s = await waitFrames(page, at + 4, 240);
    const exactRuns = s.history.filter((h) => h.frame >= at + 1 && deltaSteps(h));   // frames fully after the change
    figures.threshold = {at5: high.map((h) => [h.threshold, h.inputChanged, h.activeMean]), at0: exactRuns.map((h) => [h.threshold, h.inputChanged, h.activeMean])};
    const a5 = mean(high.map((h) => h.activeMean)), a0 = mean(exactRuns.map((h) => h.activeMean));
    const i5 = mean(high.map((h) => h.inputChanged)), i0 = mean(exactRuns.map((h) => h.inputChanged));
    check('webgpu: threshold slider configures the backend (5% = 12.75, then 0)',
        high.length >= 2 && high.every((h) => Math.abs(h.threshold - 12.75) < 1e-9) && exactRuns.length >= 2 && exactRuns.every((h) => h.threshold === 0),
        `inputThreshold ${high.map((h) => h.threshold).join(', ')} then ${exactRuns.map((h) => h.threshold).join(', ')}`);
    check('webgpu: threshold slider changes the re-sent input and the mean active fraction (vtest-48: 5% vs 0)',
        i5 < 0.5 * i0 && a5 < 0.8 * a0,
        `input re-sent ${(i5 * 100).toFixed(1)}% at 5% vs ${(i0 * 100).toFixed(1)}% at 0; mean active ${(a5 * 100).toFixed(1)}% vs ${(a0 * 100).toFixed(1)}%`);
    await page.screenshot({path: join(ARTIFACTS, 'demo-vtest.png'), fullPage: true});
    check('webgpu: no console errors', errors.length === 0 && s.errors.length === 0, [...errors, ...s.errors].join(' | ') || 'none');
    figures.webgpuSeconds = (Date.now() - t0) / 1000;
  } finally {
    await browser.close();
  }
} catch (e) {
  check('webgpu page', false, e.stack);
}

// ---- 2. no WebGPU: delta-cpu ---------------------------------------------------------------------
try {
  const t0 = Date.now();
  const {browser, page, errors} = await openPage([], '?clip=pose_1&model=posenet&mode=both');
  try {
    await page.waitForSelector('#nogpu:not([hidden])', {timeout: 60_000});
    const text = await page.textContent('#nogpu');
    check('no WebGPU: the page says so and offers delta-cpu', /WebGPU is not available/.test(text) && /delta-cpu/.test(text), text.replace(/\s+/g, ' ').slice(0, 160));
    await page.click('#use-cpu');
    const s = await waitFrames(page, 3, 240);
    const fps = [await page.textContent('#fps-dense'), await page.textContent('#fps-delta')];
    const d = kpDistances(s);
    figures.cpu = {fps, ms: s.ms, keypointsPx: d.map((v) => Number(v.toFixed(2)))};
    check('no WebGPU: delta-cpu vs cpu runs at low resolution, fps numbers, keypoints near dense',
        s.backendKind === 'cpu' && fps.every((t) => Number(t) > 0) && d.length >= 5 && median(d) < 6,
        `backend ${s.backendKind}, fps ${fps.join(' / ')}, keypoints median ${median(d).toFixed(2)} px`);
    await page.screenshot({path: join(ARTIFACTS, 'demo-cpu.png'), fullPage: true});
    check('no WebGPU: no console errors', errors.length === 0 && s.errors.length === 0, [...errors, ...s.errors].join(' | ') || 'none');
    figures.cpuSeconds = (Date.now() - t0) / 1000;
  } finally {
    await browser.close();
  }
} catch (e) {
  check('no-WebGPU page', false, e.stack);
}
server.close();
finish();
