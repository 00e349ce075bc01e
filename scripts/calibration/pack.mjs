// The carry folder for issue 6's calibration protocol on delta-cuda (benchmarks/calibration, docs/calibration.md):
//   node scripts/calibration/pack.mjs [--set main|extra] [--out carry/calgpu] [--bundle /work/main/carry/bundle]
// --set main (default): the protocol's rows (PLANS.main); --set extra (--out carry/calgpu-extra): what main
// cannot carry, for a second device run with the same run.sh: centernet on vtest with more frames; --set large
// (carry/calgpu-large): posenet at 577x577 (pose_1) and 769x577 (vtest, the frames that fit).
// OUT gets:
//   js/drift.cjs.br      esbuild bundle of benchmarks/drift/drift.cjs (delta-cuda drift, main set)
//   js/evaluate.cjs.br   esbuild bundle of benchmarks/calibration/evaluate.cjs (tfjs, the delta backends, the
//                        metrics), brotli; js/report.cjs (the summary table); js/rows.cjs (the rows the packs allow)
//   models/<name>/       posenet, movenet-lightning, centernet, selfie (model.json + weights, from the test cache)
//   frames/*.frames.br   frames pre-decoded here with ffmpeg (benchmarks/calibration/frames.cjs): each model's
//                        input size, vtest 0-49 + 100-399 and pose_1 0-119 (see PLAN for what is left out)
//   run.sh               runs every (model, clip) row with the offline bundle's Node and addon (its `run.sh node`)
// The device run carries this folder plus the parts of the offline bundle (scripts/bundle.mjs) it uses: run.sh,
// node/, src/, js/ (not its data/: the models here are the ones used, and its frames are other sizes); the
// total must stay under the device's 64 MiB carry limit, checked here against --bundle's sizes.
// Needs: npm run build, the test cache (scripts/setup-data.mjs), ffmpeg (the cache's).
import * as esbuild from 'esbuild';
import {chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {execSync} from 'node:child_process';
import {createRequire} from 'node:module';
import {dirname, join, resolve} from 'node:path';
import {brotliCompressSync} from 'node:zlib';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const SET = opt('set', 'main');
const OUT = resolve(opt('out', SET === 'main' ? 'carry/calgpu' : `carry/calgpu-${SET}`));
const BUNDLE = resolve(opt('bundle', existsSync('carry/bundle/node') ? 'carry/bundle' : '/work/main/carry/bundle'));
// The device tool's 64 MiB covers the carried paths AND the checkout's tracked files (the working tree it copies).
const trackedBytes = (() => {
  try {
    return execSync('git ls-files -z', {maxBuffer: 1 << 26}).toString().split('\0').filter(Boolean)
      .reduce((s, f) => s + (existsSync(f) ? statSync(f).size : 0), 0);
  } catch { return 6e6; }
})();
const LIMIT = 64 * 1024 * 1024 - trackedBytes;
const MARGIN = 1.5e6;   // the bundle is rebuilt by others: room for it to grow a little
const say = (m) => console.log(`calgpu pack: ${m}`);
const {packName, encodePack} = require('../../benchmarks/calibration/frames.cjs');

const sizeOf = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, n) => s + sizeOf(join(p, n)), 0) : statSync(p).size);
const BUNDLE_PARTS = ['run.sh', 'node', 'src', 'js'];
// the bundle may be mid-rebuild (scripts/bundle.mjs writes run.sh last): wait for it a while
for (let waited = 0; BUNDLE_PARTS.some((p) => !existsSync(join(BUNDLE, p))); waited += 5) {
  if (waited >= 600) throw new Error(`${BUNDLE} lacks ${BUNDLE_PARTS.filter((p) => !existsSync(join(BUNDLE, p))).join(', ')}: build the offline bundle first (npm run bundle -- --out ${BUNDLE})`);
  if (waited === 0) say(`waiting for ${BUNDLE} (being rebuilt?)`);
  await new Promise((r) => setTimeout(r, 5000));
}
const bundleBytes = BUNDLE_PARTS.reduce((s, p) => s + sizeOf(join(BUNDLE, p)), 0);

if (!existsSync('dist/cjs/index.js')) throw new Error('dist/ is missing: npm run build');
rmSync(OUT, {recursive: true, force: true});
for (const d of ['js', 'models', 'frames']) mkdirSync(join(OUT, d), {recursive: true});

// ---- JS --------------------------------------------------------------------------------------------
// evaluate.cjs (the calibration rows) and drift.cjs (issue 6's drift run on delta-cuda, run.sh starts it beside the rows)
for (const [entry, name] of [['benchmarks/calibration/evaluate.cjs', 'evaluate.cjs'], ['benchmarks/drift/drift.cjs', 'drift.cjs']]) {
  const tmpJs = join(OUT, 'js', name);
  await esbuild.build({entryPoints: [entry], outfile: tmpJs, bundle: true, platform: 'node',
    target: 'node20', format: 'cjs', logLevel: 'error', external: ['*.node'], minify: true, keepNames: true, legalComments: 'none'});
  writeFileSync(`${tmpJs}.br`, brotliCompressSync(readFileSync(tmpJs)));
  rmSync(tmpJs);
}
copyFileSync('benchmarks/calibration/report.cjs', join(OUT, 'js', 'report.cjs'));
copyFileSync('scripts/calibration/rows.cjs', join(OUT, 'js', 'rows.cjs'));

const cli = require(resolve('dist/cjs/cli/index.js'));
// ---- frames ----------------------------------------------------------------------------------------
// In order of priority; `optional` ones go in only while the carry stays under the limit (largest window
// first). selfie on vtest reads posenet's 257x257 packs resized to 256x256 (evaluate.cjs --frames): a
// 256x256 vtest pack of its own (~10 MB) does not fit.
const S = cli.MODELS;
const at = (m) => [S[m].width, S[m].height, S[m].fit ?? 'stretch'];
const PLANS = {main: [
  {clip: 'pose_1', size: at('posenet'), ranges: [[0, 120]]},
  {clip: 'pose_1', size: at('movenet-lightning'), ranges: [[0, 120]]},
  {clip: 'pose_1', size: at('selfie'), ranges: [[0, 120]]},
  {clip: 'pose_1', size: at('centernet'), ranges: [[0, 120]]},
  {clip: 'vtest', size: at('posenet'), ranges: [[0, 50], [100, 400]]},
  {clip: 'vtest', size: at('movenet-lightning'), ranges: [[0, 50], [100, 400]]},
  {clip: 'vtest', size: at('centernet'), optional: true,
    choices: [[[0, 50], [100, 400]], [[0, 50], [100, 200]], [[0, 30], [100, 150]], [[0, 20], [100, 130]], [[0, 10], [100, 120]]]},
], extra: [
  {clip: 'vtest', size: at('centernet'), optional: true,
    choices: [[[0, 50], [100, 400]], [[0, 50], [100, 350]], [[0, 50], [100, 300]], [[0, 50], [100, 250]], [[0, 50], [100, 200]]]},
], large: [   // posenet at ANCHORS' sizes
  {clip: 'pose_1', size: [577, 577, 'stretch'], optional: true, choices: [[[0, 120]]]},
  {clip: 'vtest', size: [769, 577, 'stretch'], optional: true,
    choices: [[[0, 50], [100, 400]], [[0, 50], [100, 250]], [[0, 50], [100, 200]], [[0, 50], [100, 175]], [[0, 50], [100, 150]], [[0, 30], [100, 130]]]},
]};
const PLAN = PLANS[SET];
if (!PLAN) throw new Error(`--set ${SET}: expected ${Object.keys(PLANS).join(' or ')}`);
const MODELS_OF = {main: ['posenet', 'movenet-lightning', 'centernet', 'selfie'], extra: ['centernet'], large: ['posenet']};
// ---- models ----------------------------------------------------------------------------------------
const dataIndex = JSON.parse(readFileSync(join(process.env.DELTA_CACHE || '.cache', 'data.json'), 'utf8'));
for (const name of MODELS_OF[SET]) {
  const file = dataIndex.models[name];
  if (!file) throw new Error(`model ${name} is not in the test cache: node scripts/setup-data.mjs`);
  const dst = join(OUT, 'models', name);
  mkdirSync(dst, {recursive: true});
  copyFileSync(file, join(dst, 'model.json'));
  for (const g of JSON.parse(readFileSync(file, 'utf8')).weightsManifest) for (const p of g.paths) copyFileSync(join(dirname(file), p), join(dst, p));
}

const used = () => sizeOf(OUT);
const decode = (clip, [w, h, fit], [a, b]) =>
  cli.decodeFrames(dataIndex.clips[clip], {start: a, count: b - a, width: w, height: h, fit, ffmpeg: dataIndex.ffmpeg}).frames;
const packs = [];
for (const item of PLAN) {
  const choices = item.choices ?? [item.ranges];
  let done = false;
  for (const ranges of choices) {
    const bodies = ranges.map((r) => [r, encodePack(decode(item.clip, item.size, r))]);
    const bytes = bodies.reduce((s, [, b]) => s + b.length, 0);
    if (item.optional && bundleBytes + used() + bytes + MARGIN > LIMIT) {
      say(`${item.clip} ${item.size.join('x')}: frames ${ranges.map((r) => `${r[0]}-${r[1] - 1}`).join(' + ')} would not fit (${(bytes / 1e6).toFixed(1)} MB)`);
      continue;
    }
    for (const [[a], body] of bodies) writeFileSync(join(OUT, 'frames', packName(item.clip, item.size[0], item.size[1], item.size[2], a)), body);
    packs.push({clip: item.clip, size: item.size.slice(0, 2).join('x'), fit: item.size[2], ranges: ranges.map((r) => [r[0], r[1] - 1]), bytes});
    done = true;
    break;
  }
  if (!done) packs.push({clip: item.clip, size: item.size.slice(0, 2).join('x'), fit: item.size[2], ranges: [], bytes: 0, left: 'does not fit'});
}
writeFileSync(join(OUT, 'frames', 'index.json'), JSON.stringify({set: SET, packs}, null, 1) + '\n');

// ---- run.sh ----------------------------------------------------------------------------------------
copyFileSync('scripts/calibration/run.sh', join(OUT, 'run.sh'));
chmodSync(join(OUT, 'run.sh'), 0o755);

const mine = used();
for (const p of packs) say(`frames ${p.clip} ${p.size}: ${p.ranges.map((r) => r.join('-')).join(' + ') || p.left} (${(p.bytes / 1e6).toFixed(1)} MB)`);
say(`${OUT}: ${(mine / 1e6).toFixed(1)} MB; with ${BUNDLE}/{${BUNDLE_PARTS.join(',')}} (${(bundleBytes / 1e6).toFixed(1)} MB): ` +
    `${((mine + bundleBytes) / 1048576).toFixed(1)} MiB (+ ${(trackedBytes / 1048576).toFixed(1)} MiB of tracked files) of 64 MiB`);
if (mine + bundleBytes > LIMIT) { console.error(`calgpu pack: over the 64 MiB carry limit (the checkout's tracked files take ${(trackedBytes / 1e6).toFixed(1)} MB of it)`); process.exit(1); }
