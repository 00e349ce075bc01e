#!/bin/bash
# device run 15 (after 9f709aa + the config read): build; bench B = 1 (replayed dense kernels, exact, t0.01/0.005) with
# the no-change split
set -u
B=carry/bundle
R=$OUT/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R BENCH_BATCHES=1 BENCH_SETTINGS='dense-kernels\+replay|exact\+replay|t0.01/0.005\+replay' BENCH_PRECISIONS=fp32 timeout 150 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$?"
grep -E "B=1 fp32|no-change split" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-170
