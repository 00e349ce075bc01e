#!/bin/bash
# device run 12: build; bench B = 1 (fp32; exact, t0.01/0.005, dense kernels; replayed only) with the no-change split
set -u
B=carry/bundle
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R BENCH_BATCHES=1 BENCH_SETTINGS='replay' BENCH_PRECISIONS=fp32 timeout 200 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? done $(( $(date +%s) - T0 )) s"
grep -E "B=1 fp32|no-change split" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-400
