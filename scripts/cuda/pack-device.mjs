// Packs what a GPU machine without Node or npm needs to run the delta-cuda specs and the sparsify benchmark
// into carry/cuda/ (git-ignored; carry/node/node.xz holds the Node runtime, see binding/README.md):
//   carry/cuda/delta_cuda.node   the addon built here (npm run build:cuda)
//   carry/cuda/cuda.spec.js      test/cuda specs bundled with their imports (esbuild)
//   carry/cuda/run-jasmine.cjs   jasmine + the counting reporter, bundled (+ node_modules/jasmine-core)
//   carry/cuda/bench.cjs         scripts/cuda/bench-sparsify.ts, bundled
//   carry/cuda/run.sh            unpacks node, runs specs and benchmark, writes to $OUT
// Needs: npm run build (dist/), node scripts/build-tests.mjs (build/test/), npm run build:cuda.
import * as esbuild from 'esbuild';
import {chmodSync, copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';

rmSync('carry/cuda', {recursive: true, force: true});
mkdirSync('carry/cuda', {recursive: true});
copyFileSync('build/cuda/Release/delta_cuda.node', 'carry/cuda/delta_cuda.node');
const common = {bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', external: ['*.node']};
await esbuild.build({...common, entryPoints: ['build/test/cuda/sparsify.spec.js'], outfile: 'carry/cuda/spec/cuda.spec.js'});
// jasmine-core reads its own folder at run time: copied whole, the rest of the runner is bundled.
await esbuild.build({...common, entryPoints: ['test/run-jasmine.cjs'], outfile: 'carry/cuda/run-jasmine.cjs',
  external: [...common.external, 'jasmine-core']});
cpSync('node_modules/jasmine-core', 'carry/cuda/node_modules/jasmine-core', {recursive: true});
await esbuild.build({...common, entryPoints: ['scripts/cuda/bench-sparsify.ts'], outfile: 'carry/cuda/bench.cjs'});
writeFileSync('carry/cuda/jasmine.json', JSON.stringify({spec_dir: 'carry/cuda/spec', spec_files: ['*.spec.js'], env: {random: false}}) + '\n');
writeFileSync('carry/cuda/run.sh', `#!/bin/bash
# Run on the GPU machine from the repository root: carry/cuda/run.sh [OUTDIR]
set -u
OUTDIR=\${1:-\${OUT:-/tmp/out}}; mkdir -p "$OUTDIR"
NODE=/tmp/node/bin/node
if [ ! -x $NODE ]; then mkdir -p /tmp/node/bin && xz -dc carry/node/node.xz > $NODE && chmod +x $NODE; fi
export DELTA_CUDA_ADDON=$PWD/carry/cuda/delta_cuda.node
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$OUTDIR/nvidia-smi.txt"
$NODE --version
echo "== specs"
DELTA_RESULT_FILE="$OUTDIR/cuda-specs.json" $NODE --max-old-space-size=16384 carry/cuda/run-jasmine.cjs carry/cuda/jasmine.json 2>&1 | tee "$OUTDIR/cuda-specs.log" | grep -v '^  at \\|^$' | tail -60
echo "== bench"
$NODE carry/cuda/bench.cjs "$OUTDIR/cuda-sparsify-h100.json" 2>&1 | tee "$OUTDIR/cuda-bench.log"
`);
chmodSync('carry/cuda/run.sh', 0o755);
console.log('carry/cuda ready');
