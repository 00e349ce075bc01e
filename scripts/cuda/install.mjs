// npm `install` hook: builds the delta-cuda addon when it can, and NEVER fails the install.
// Skips (printing why, exit 0) when DELTA_CUDA_SKIP_BUILD=1, when binding/ or cmake-js is absent (a
// consumer's install of the published package), or when nvcc or cmake is not found; a failed build is
// reported and ignored: delta-cuda then says "addon not built" when it is used, and nothing else changes.
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {createRequire} from 'node:module';
import {delimiter, join} from 'node:path';

const say = (m) => console.log(`delta-cuda: ${m}`);
function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}
function main() {
  if (process.env.DELTA_CUDA_SKIP_BUILD === '1') return say('addon build skipped (DELTA_CUDA_SKIP_BUILD=1)');
  if (!existsSync('binding/CMakeLists.txt')) return say('addon build skipped (no binding/ sources in this install)');
  let cmakeJs;
  try { cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js'); } catch {
    return say('addon build skipped (cmake-js is not installed: it is a devDependency)');
  }
  const env = {...process.env};
  if (!onPath('nvcc') && existsSync('/usr/local/cuda/bin/nvcc')) env.PATH = `/usr/local/cuda/bin${delimiter}${env.PATH ?? ''}`;
  const hasNvcc = (env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'nvcc')));
  if (!hasNvcc) return say('addon not built (nvcc not found; install the CUDA toolkit, then npm run build:cuda)');
  if (!onPath('cmake')) return say('addon not built (cmake not found; install cmake >= 3.18, then npm run build:cuda)');
  // DELTA_CUDA_ARCHS (a CMake architecture list, e.g. "90-real" or "86-real;90-real") builds for those GPUs only:
  // much faster than the default fat binary (binding/CMakeLists.txt), for a machine that knows its GPU, or CI
  const archs = process.env.DELTA_CUDA_ARCHS;
  if (archs !== undefined && !/^[0-9a-z;_ -]+$/.test(archs)) return say(`addon not built (DELTA_CUDA_ARCHS='${archs}' is not a CMake architecture list)`);
  say(`building the addon (npm run build:cuda${archs ? `, archs ${archs}` : ''}) ...`);
  const args = [cmakeJs, 'build', '-d', 'binding', '-O', 'build/cuda', ...(archs ? [`--CDCMAKE_CUDA_ARCHITECTURES=${archs}`] : [])];
  const r = spawnSync(process.execPath, args, {stdio: 'inherit', env});
  if (r.status === 0) return say('addon built: build/cuda/Release/delta_cuda.node');
  say(`addon build failed (exit ${r.status ?? r.signal}); install continues without delta-cuda (retry: npm run build:cuda)`);
}
try { main(); } catch (e) { say(`addon build skipped (${e && e.message})`); }
process.exit(0);
