#!/bin/bash
# device run 16 (sparsifyProbe: the first layer's count from a mapped host report): build; bench B = 1 (replayed dense
# kernels, exact, t0.01/0.005) with a 2,000-frame no-change split and the probe/read-back A/B; GPU specs, shared
# kernel specs, hostile suites
set -u
B=carry/bundle
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
OUT=$R bash $B/run.sh build 2>&1 | tail -1
echo "build done $(( $(date +%s) - T0 )) s"
OUT=$R BENCH_BATCHES=1 BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' BENCH_PRECISIONS=fp32 \
  BENCH_NOCHANGE_FRAMES=2000 BENCH_NOCHANGE_AB=1 timeout 300 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? done $(( $(date +%s) - T0 )) s"
grep -E "B=1 fp32|no-change split|no-change A/B" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-260
OUT=$R SUITES='GPU specs|hostile|shared per-kernel' SUITE_TIMEOUT=200 timeout $(( 575 - ($(date +%s) - T0) )) bash $B/run.sh test > $R/test-stdout.log 2>&1
tail -6 $R/test-stdout.log
echo "tests done $(( $(date +%s) - T0 )) s"
cd $R && tar czf $OUT/logs.tgz --exclude='*.node' . && ls -la $OUT/logs.tgz
