#!/bin/bash
# device run 13: build; bench B = 1 replayed settings (no-change split); a CPU profile of 3000 replayed no-change
# frames (t0.01/0.005, vtest + pose_1); GPU specs + hostile suites
set -u
B=carry/bundle; BB=$(pwd)/$B
R=$OUT/r; mkdir -p $R/prof
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R BENCH_BATCHES=1 BENCH_SETTINGS='replay' BENCH_PRECISIONS=fp32 timeout 150 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? done $(( $(date +%s) - T0 )) s"
grep -E "B=1 fp32|no-change split" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-330
(cd /tmp/delta-cuda-node/js && BENCH_BATCHES=1 BENCH_SETTINGS='^t0.01/0.005\+replay$' BENCH_PRECISIONS=fp32 BENCH_NOCHANGE_FRAMES=3000 \
  timeout 120 bash $BB/run.sh node --cpu-prof --cpu-prof-dir=$R/prof bench.cjs $R/prof-bench.json > $R/prof-stdout.log 2>&1)
echo "prof rc=$? done $(( $(date +%s) - T0 )) s"; grep "no-change split" $R/prof-stdout.log | cut -c1-200
ls -la $R/prof | head
OUT=$R SUITES='GPU specs|hostile|shared per-kernel' SUITE_TIMEOUT=150 timeout $(( 560 - ($(date +%s) - T0) )) bash $B/run.sh test > $R/test-stdout.log 2>&1
tail -5 $R/test-stdout.log
echo "tests done $(( $(date +%s) - T0 )) s"
