#!/bin/bash
# device run 11: build; whole run.sh test (complex64 on delta-cuda, replay specs with quiet-call skipping);
# bench B = 1, 8 (fp32; exact, t0.01/0.005, dense kernels; eager and replayed) after the quiet-call skip
set -u
B=carry/bundle
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R bash $B/run.sh build 2>&1 | tail -1
echo "build done $(( $(date +%s) - T0 )) s"
OUT=$R BENCH_BATCHES=1,8 BENCH_SETTINGS='exact|t0.01|dense-kernels' BENCH_PRECISIONS=fp32 timeout 230 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? done $(( $(date +%s) - T0 )) s"
grep -E "B=(1|8) fp32" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-260
OUT=$R SUITE_TIMEOUT=150 FUZZ_SECONDS=30 timeout $(( 570 - ($(date +%s) - T0) )) bash $B/run.sh test > $R/test-stdout.log 2>&1
tail -9 $R/test-stdout.log
grep -E "^[0-9]+\) " $R/cuda-core-suites.log $R/cuda-hostile.log $R/cuda-specs.log 2>/dev/null | head -10
echo "tests done $(( $(date +%s) - T0 )) s"
