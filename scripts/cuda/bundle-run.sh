#!/bin/bash
# delta-cuda offline bundle (scripts/bundle.mjs copies this file to DIR/run.sh). From anywhere:
#   bash DIR/run.sh build     build the addon with this machine's cmake + nvcc
#                             (CUDA_ARCHS, default "native": the GPUs of this machine; e.g. "75;80;86;89;90")
#   bash DIR/run.sh test      GPU specs (addon, backend, dense kernels vs cpu, delta kernels), the shared
#                             per-kernel delta specs on delta-cuda, tfjs-core's kernel suites on delta-cuda
#                             (exact mode), real models on real video, hostile input + 1,000-frame long runs
#                             (device memory flat), the fuzz; prints a table and "N passed, M failed"
#   bash DIR/run.sh fuzz ...  a fuzz slice on delta-cuda: --seed S --cases K [--jobs N] (replays a failing seed)
#   bash DIR/run.sh bench     the posenet video benchmark (vtest 769x577, pose_1 577x577; B = 1, 8, 32)
#   bash DIR/run.sh node ...  the bundled Node with the bundle's environment (e.g. a script of your own)
# Environment: OUT (logs and results; default DIR/out), DELTA_CUDA_BUILD (build folder; default DIR/build),
# DELTA_CUDA_DEVICE (GPU index), CUDA_ARCHS, NODE_DIR (where Node is unpacked; default /tmp/delta-cuda-node),
# SUITE_TIMEOUT (seconds per test suite, default 1200), SUITES (regexp of suite names to run, default all),
# FUZZ_SEED (default 1), FUZZ_CASES (default 8000), FUZZ_JOBS (processes on the one GPU, default 4),
# FUZZ_SECONDS (no case starts after this, default 200: the table counts the cases that ran),
# DELTA_LONG_FRAMES (frames of the long runs, default 1000).
set -u
D="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="${OUT:-$D/out}"
BUILD="${DELTA_CUDA_BUILD:-$D/build}"
NODE_DIR="${NODE_DIR:-/tmp/delta-cuda-node}"
NODE="$NODE_DIR/bin/node"
JS="$NODE_DIR/js"
mkdir -p "$OUTDIR"

unpack() {
  if [ ! -x "$NODE" ]; then
    mkdir -p "$NODE_DIR/bin"
    xz -dc "$D/node/node.xz" > "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE" || { echo "run.sh: cannot unpack Node (xz missing?)"; exit 1; }
  fi
  if [ ! -f "$JS/.unpacked" ] || [ "$D/js/js.pack.br" -nt "$JS/.unpacked" ]; then
    rm -rf "$JS"; mkdir -p "$JS"
    "$NODE" "$D/js/unpack.cjs" "$JS" && touch "$JS/.unpacked" || exit 1
  fi
  export DELTA_CUDA_ADDON="$BUILD/Release/delta_cuda.node"
  export DELTA_CUDA_DATA="$D/data"
  [ -f "$BUILD/archs.txt" ] && export DELTA_CUDA_BUILT_ARCHS="$(cat "$BUILD/archs.txt")"
  if [ ! -f "$DELTA_CUDA_ADDON" ]; then echo "run.sh: the addon is not built: bash $D/run.sh build"; exit 1; fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
build)
  NVCC="$(command -v nvcc || true)"
  [ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc && export PATH="/usr/local/cuda/bin:$PATH"
  [ -z "$NVCC" ] && { echo "run.sh build: nvcc not found (install the CUDA toolkit or put it on PATH)"; exit 1; }
  command -v cmake >/dev/null || { echo "run.sh build: cmake not found (cmake >= 3.18)"; exit 1; }
  ARCHS="${CUDA_ARCHS:-native}"
  GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
  t0=$(date +%s)
  cmake -S "$D/src/binding" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$NVCC" \
    "-DCMAKE_CUDA_ARCHITECTURES=$ARCHS" "-DCMAKE_JS_INC=$D/src/include/node-api-headers;$D/src/include/node-addon-api" \
    -DCMAKE_JS_SRC= -DCMAKE_JS_LIB= "-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$BUILD/Release" > "$OUTDIR/build.log" 2>&1 &&
  cmake --build "$BUILD" -j "$(nproc)" >> "$OUTDIR/build.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then tail -40 "$OUTDIR/build.log"; echo "run.sh build: failed (log: $OUTDIR/build.log)"; exit $rc; fi
  echo "$ARCHS" > "$BUILD/archs.txt"
  echo "run.sh build: $BUILD/Release/delta_cuda.node ($(($(date +%s) - t0)) s, archs $ARCHS)"
  ;;
test)
  unpack
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUTDIR/gpu.txt" 2>&1
  cat "$OUTDIR/gpu.txt"
  cd "$JS" || exit 1
  total_p=0; total_f=0; total_s=0; rows=""
  suite() {  # name, log, command...
    local name="$1" log="$2"; shift 2
    if [ -n "${SUITES:-}" ] && ! [[ "$name" =~ $SUITES ]]; then return; fi
    local res="$OUTDIR/$log.json" t0=$(date +%s)
    rm -f "$res"
    DELTA_RESULT_FILE="$res" timeout "${SUITE_TIMEOUT:-1200}" "$@" > "$OUTDIR/$log.log" 2>&1
    local p=0 f=1 s=0
    if [ -f "$res" ]; then
      read -r p f s < <("$NODE" -e "const r=require('$res');console.log(r.passed,r.failed,r.skipped)")
    fi
    total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
    rows="$rows$(printf '%-62s %6s %6s %6s %6ss' "$name" "$p" "$f" "$s" "$(($(date +%s) - t0))")\n"
    grep -E "^(FAILED|  Message)|Error:" "$OUTDIR/$log.log" | head -20
  }
  suite "GPU specs: addon, backend, dense kernels vs cpu, delta kernels" cuda-specs \
    "$NODE" --max-old-space-size=16384 run-jasmine.cjs jasmine-unit.json
  suite "shared per-kernel delta specs on delta-cuda (oracle: dense cpu)" cuda-kernels \
    "$NODE" --max-old-space-size=16384 run-jasmine.cjs jasmine-kernels.json
  suite "tfjs-core kernel suites on delta-cuda (exact mode)" cuda-core-suites \
    env DELTA_CORE_BACKEND=delta-cuda DELTA_CORE_BUNDLE="$JS/core-suites.cjs" "$NODE" --max-old-space-size=16384 core-run.mjs
  suite "real models on real video vs dense cpu (5 models x 2 clips)" cuda-models \
    env DELTA_CUDA_MODELS_OUT="$OUTDIR/cuda-models-figures.json" "$NODE" --max-old-space-size=16384 run-jasmine.cjs jasmine-models.json
  suite "hostile input + long runs on delta-cuda (${DELTA_LONG_FRAMES:-1000} frames, device memory flat)" cuda-hostile \
    env DELTA_BACKENDS=delta-cuda "$NODE" --expose-gc --max-old-space-size=16384 run-jasmine.cjs jasmine-hostile.json
  fz_seed="${FUZZ_SEED:-1}" fz_cases="${FUZZ_CASES:-8000}"
  suite "fuzz on delta-cuda ($fz_cases cases from seed $fz_seed, ${FUZZ_SECONDS:-200} s limit)" cuda-fuzz \
    env DELTA_FUZZ_REPLAY="bash $D/run.sh fuzz" "$NODE" --max-old-space-size=8192 fuzz.cjs --backend delta-cuda \
    --seed "$fz_seed" --cases "$fz_cases" --jobs "${FUZZ_JOBS:-4}" --time-limit "${FUZZ_SECONDS:-200}"
  grep -E "^\[fuzz\] (delta-cuda|failing|replay)|ran dense|^  [0-9]+ x " "$OUTDIR/cuda-fuzz.log" 2>/dev/null | head -12
  printf '%-62s %6s %6s %6s %7s\n' suite passed failed skipped time
  printf "$rows"
  echo "$total_p passed, $total_f failed, $total_s skipped"
  [ "$total_f" -eq 0 ]
  ;;
bench)
  unpack
  cd "$JS" || exit 1
  "$NODE" --max-old-space-size=32768 bench.cjs "$OUTDIR/cuda-bench-posenet.json" "$@" 2>&1 | tee "$OUTDIR/cuda-bench.log"
  ;;
fuzz)
  unpack
  cd "$JS" || exit 1
  DELTA_BACKENDS=delta-cuda DELTA_FUZZ_REPLAY="bash $D/run.sh fuzz" "$NODE" --max-old-space-size=8192 fuzz.cjs "$@"
  ;;
node)
  unpack
  "$NODE" "$@"
  ;;
*)
  sed -n 2,20p "$0"
  exit 2
  ;;
esac
