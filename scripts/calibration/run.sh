#!/bin/bash
# Issue 6's calibration protocol on delta-cuda (scripts/calibration/pack.mjs copies this file to carry/calgpu/run.sh).
# From the repository root of the GPU machine, with carry/bundle's run.sh, node/, src/, js/ and carry/calgpu carried:
#   DELTA_CUDA_BUILD=/tmp/dcb bash carry/bundle/run.sh build && OUT=$OUT bash carry/calgpu/run.sh
# Every (model, clip) row of the protocol (vtest: calibrate on 0-49, evaluate on 100-399; pose_1: 0-49 / 50-119;
# centernet on vtest: the frames that fit the carry, see frames/index.json), each with calibrate() at the
# acceptance target 0.99 and at 0.995 (evaluated against 0.99: margin for held-out frames); JSON + SVG +
# thresholds per row and a log per row to $OUT, then report.cjs's table (also $OUT/table.md).
# Environment: OUT (default DIR/out), JOBS (parallel rows, default 8), EVALS (calibrate's evaluation budget,
# default 60), CAL_SECONDS (calibrate's time budget per row, default 150), DEADLINE_S (seconds from the start,
# default 510: rows stop their settings 20 s before it and write what they have, calibrate() gets at most half of
# a row's time left; a row still running at the deadline is killed, no JSON, its log says how far it got),
# ROWS (regexp of row names to run, default all), BUNDLE (default DIR/../bundle), COST_MODEL (sparse|device),
# TAR_TO (a folder: the whole of OUT, logs included, also goes there as one calgpu-results.tar.gz; the device tool
# brings back at most 8 files, so there: OUT=/tmp/calgpu-out TAR_TO=$OUT),
# EVAL_ARGS (appended to every row's evaluate.cjs arguments; later ones win: e.g. a short check of the path with
# "--emulate --cal 0,3 --eval 50,53 --evaluations 2" and DELTA_EMULATED_ADDON=<checkout>/build/test/cuda/emulated_addon.js).
set -u
C="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
B="${BUNDLE:-$C/../bundle}"
OUTDIR="${OUT:-$C/out}"
JOBS="${JOBS:-8}"; EVALS="${EVALS:-60}"; CAL_SECONDS="${CAL_SECONDS:-150}"; DEADLINE_S="${DEADLINE_S:-510}"
COST_MODEL="${COST_MODEL:-sparse}"
if [ -z "${DELTA_CUDA_BUILD:-}" ]; then
  if [ -f /tmp/dcb/Release/delta_cuda.node ]; then export DELTA_CUDA_BUILD=/tmp/dcb; else export DELTA_CUDA_BUILD="$B/build"; fi
fi
export DELTA_CUDA_BUILD
mkdir -p "$OUTDIR/logs"
W="${CALGPU_DIR:-/tmp/calgpu-js}"
mkdir -p "$W"
t0=$(date +%s); DEADLINE=$((t0 + DEADLINE_S))
# once, serially: unpacks the bundle's Node + JS (parallel calls then skip it) and our evaluate bundle
bash "$B/run.sh" node -e "const z=require('zlib'),fs=require('fs');for(const n of ['evaluate.cjs','drift.cjs'])if(fs.existsSync('$C/js/'+n+'.br'))fs.writeFileSync('$W/'+n,z.brotliDecompressSync(fs.readFileSync('$C/js/'+n+'.br')))" || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUTDIR/gpu.txt" 2>&1
cat "$OUTDIR/gpu.txt"

ROWSFILE="$OUTDIR/rows.txt"
# the rows this folder's frame packs allow (js/rows.cjs; vtest rows first, heaviest model first, 0.99 before 0.995)
OUTDIR="$OUTDIR" COST_MODEL="$COST_MODEL" EVALS="$EVALS" CAL_SECONDS="$CAL_SECONDS" \
  bash "$B/run.sh" node "$C/js/rows.cjs" "$C" > "$ROWSFILE" || exit 1
echo "calgpu: $(wc -l < "$ROWSFILE") rows, $JOBS at a time (rows: $ROWSFILE, logs: $OUTDIR/logs)"
run_row() {
  local name="$1"; shift
  local s=$(date +%s)
  local left=$((DEADLINE - s))
  if [ "$left" -le 10 ]; then echo "calgpu: $name not started (deadline)"; return; fi
  # evaluate.cjs stops its settings 20 s before the deadline and writes what it has; timeout is the backstop
  timeout "$left" bash "$B/run.sh" node --max-old-space-size=8192 "$W/evaluate.cjs" "$@" --deadline $((DEADLINE - 20)) > "$OUTDIR/logs/$name.log" 2>&1
  local rc=$?
  echo "calgpu: $name rc=$rc $(($(date +%s) - s)) s: $(tail -1 "$OUTDIR/logs/$name.log" | cut -c1-200)"
}
export -f run_row; export B W OUTDIR DEADLINE
# Drift on delta-cuda (issue 6), beside the rows: posenet 257x257 on vtest frames 100-199 looped for DRIFT_FRAMES
# consecutive frames (default 5000), exact mode and thresholds > 0, against dense cpu (DRIFT=0: skip).
DRIFT_PID=""
DRIFT_PACK="$C/frames/vtest-257x257-stretch-from100.frames.br"
if [ "${DRIFT:-1}" != 0 ] && [ -f "$W/drift.cjs" ] && [ -f "$DRIFT_PACK" ]; then
  timeout $((DEADLINE - $(date +%s))) bash "$B/run.sh" node --max-old-space-size=8192 "$W/drift.cjs" --backend delta-cuda \
    --model "$C/models/posenet/model.json" --size 257x257 --frames "$DRIFT_PACK" --clip 100,200 --total "${DRIFT_FRAMES:-5000}" \
    --q 0.02 --name posenet-257-vtest-5000-delta-cuda --out "$OUTDIR/drift" > "$OUTDIR/logs/drift.log" 2>&1 &
  DRIFT_PID=$!
fi
# shellcheck disable=SC2016
xargs -P "$JOBS" -L 1 bash -c 'run_row "$@"' _ < "$ROWSFILE"
if [ -n "$DRIFT_PID" ]; then wait "$DRIFT_PID"; echo "calgpu: drift rc=$?: $(grep -E 'worst maxRel' "$OUTDIR/logs/drift.log" | cut -c1-160 | tr '\n' ' ')"; fi
bash "$B/run.sh" node "$C/js/report.cjs" "$OUTDIR" | tee "$OUTDIR/table.md"
echo "calgpu: done in $(($(date +%s) - t0)) s; $(ls "$OUTDIR"/*.json 2>/dev/null | grep -vc thresholds) result files in $OUTDIR"
if [ -n "${TAR_TO:-}" ]; then
  mkdir -p "$TAR_TO" && tar -czf "$TAR_TO/calgpu-results.tar.gz" -C "$OUTDIR" . && cp "$OUTDIR/table.md" "$TAR_TO/" 2>/dev/null
  echo "calgpu: results packed into $TAR_TO/calgpu-results.tar.gz"
fi
