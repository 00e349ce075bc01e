// Packs what a GPU machine without Node or npm needs to run the delta-cuda data-plane specs and the delta
// kernels' benchmark, into OUT (default carry/cuda-delta; git-ignored). Node itself: carry/node/node.xz
// (binding/README.md). Needs: npm run build, node scripts/build-tests.mjs, npm run build:cuda, ffmpeg
// (system or @ffmpeg-installer), .cache/models/posenet (scripts/setup-data.mjs), ../shared/data clips.
//   OUT/delta_cuda.node                 the addon built here
//   OUT/spec/*.spec.js                  test/cuda specs, bundled with their imports
//   OUT/run-jasmine.cjs + node_modules  jasmine runner (jasmine-core copied whole: it reads its folder)
//   OUT/bench.cjs                       scripts/cuda/bench-delta.ts, bundled
//   OUT/data/                           posenet model, frames of vtest.avi (769x577) and pose_1.mp4 (577x577)
//   OUT/run.sh                          specs, then the benchmark; logs + JSON into $OUT
// Usage: node scripts/cuda/pack-delta.mjs [OUT] [--frames N] [--data-from DIR]
import * as esbuild from 'esbuild';
import {spawnSync} from 'node:child_process';
import {chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {gzipSync} from 'node:zlib';
import {join} from 'node:path';

const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'carry/cuda-delta';
const nFrames = Number(args[args.indexOf('--frames') + 1] ?? 10) || 10;
// paths inside run.sh and jasmine.json: relative to the repository root on the GPU machine
const rel = 'carry/cuda-delta';
const clips = args.includes('--data-from') ? args[args.indexOf('--data-from') + 1] : '/work/shared/data';

rmSync(out, {recursive: true, force: true});
mkdirSync(join(out, 'data'), {recursive: true});
copyFileSync('build/cuda/Release/delta_cuda.node', join(out, 'delta_cuda.node'));
const common = {bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', external: ['*.node']};
for (const spec of (process.env.DELTA_PACK_SPECS ?? 'delta_plane,delta_kernels').split(',')) {
  await esbuild.build({...common, entryPoints: [`build/test/cuda/${spec}.spec.js`], outfile: join(out, 'spec', `${spec}.spec.js`)});
}
await esbuild.build({...common, entryPoints: ['test/run-jasmine.cjs'], outfile: join(out, 'run-jasmine.cjs'),
  external: [...common.external, 'jasmine-core']});
cpSync('node_modules/jasmine-core', join(out, 'node_modules/jasmine-core'), {recursive: true, dereference: true});
await esbuild.build({...common, entryPoints: ['scripts/cuda/bench-delta.ts'], outfile: join(out, 'bench.cjs')});
writeFileSync(join(out, 'jasmine.json'), JSON.stringify({spec_dir: join(rel, 'spec'), spec_files: ['*.spec.js'], env: {random: false}}) + '\n');

// data: the posenet model and decoded frames (RGB uint8, gzip)
cpSync('.cache/models/posenet', join(out, 'data', 'posenet'), {recursive: true, dereference: true});
let ffmpeg = 'ffmpeg';
if (spawnSync(ffmpeg, ['-version']).status !== 0) ffmpeg = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
for (const [name, file, w, h, start] of [['vtest', 'vtest.avi', 769, 577, 100], ['pose_1', 'pose_1.mp4', 577, 577, 60]]) {
  const src = join(clips, file);
  if (!existsSync(src)) { console.log(`no ${src}: part B skips ${name}`); continue; }
  const r = spawnSync(ffmpeg, ['-v', 'error', '-i', src, '-vf', `select=gte(n\\,${start}),scale=${w}:${h}`, '-vsync', '0',
    '-frames:v', String(nFrames), '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-'], {maxBuffer: 1 << 30});
  if (r.status !== 0 || r.stdout.length !== w * h * 3 * nFrames) throw new Error(`ffmpeg ${file}: ${r.stderr}`);
  writeFileSync(join(out, 'data', `${name}.rgb.gz`), gzipSync(r.stdout, {level: 6}));
  writeFileSync(join(out, 'data', `${name}.json`), JSON.stringify({source: file, firstFrame: start, width: w, height: h, frames: nFrames}) + '\n');
}

writeFileSync(join(out, 'run.sh'), `#!/bin/bash
# On the GPU machine, from the repository root: ${rel}/run.sh [OUTDIR]
set -u
OUTDIR=\${1:-\${OUT:-/tmp/out}}; mkdir -p "$OUTDIR"
NODE=/tmp/node/bin/node
if [ ! -x $NODE ]; then mkdir -p /tmp/node/bin && xz -dc carry/node/node.xz > $NODE && chmod +x $NODE; fi
export DELTA_CUDA_ADDON=$PWD/${rel}/delta_cuda.node
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$OUTDIR/nvidia-smi.txt"
echo "== specs"
DELTA_RESULT_FILE="$OUTDIR/delta-specs.json" timeout \${SPEC_TIMEOUT:-240} $NODE --max-old-space-size=16384 ${rel}/run-jasmine.cjs ${rel}/jasmine.json > "$OUTDIR/delta-specs.log" 2>&1
echo "specs exit $?"; grep -v '^  at \\|^$' "$OUTDIR/delta-specs.log" | grep -v 'tfjs-node\\|=====' | tail -40
echo "== bench"
timeout \${BENCH_TIMEOUT:-300} $NODE ${rel}/bench.cjs "$OUTDIR/cuda-delta-h100.json" ${rel}/data 2>&1 | tee "$OUTDIR/bench.log" | cut -c1-400
`);
chmodSync(join(out, 'run.sh'), 0o755);
console.log(`${rel} ready`);
