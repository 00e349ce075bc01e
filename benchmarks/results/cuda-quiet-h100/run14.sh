#!/bin/bash
# device run 14 (after 9f709aa): build; bench B = 1 replayed settings with the no-change split; a CPU profile of
# 3000 replayed no-change frames (t0.01/0.005+replay, vtest + pose_1)
set -u
B=carry/bundle; BB=$(pwd)/$B
R=$OUT/r; mkdir -p $R/prof
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R BENCH_BATCHES=1 BENCH_SETTINGS='replay' BENCH_PRECISIONS=fp32 timeout 150 bash $B/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$?"
grep -E "B=1 fp32|no-change split" $R/bench-stdout.log | sed -E 's/plane \{[^}]*\}\), modes.*//' | cut -c1-170
(cd /tmp/delta-cuda-node/js && BENCH_BATCHES=1 BENCH_SETTINGS='^t0.01/0.005\+replay$' BENCH_PRECISIONS=fp32 BENCH_NOCHANGE_FRAMES=3000 \
  timeout 150 bash $BB/run.sh node --cpu-prof --cpu-prof-interval 50 --cpu-prof-dir=$R/prof bench.cjs $R/prof/bench.json > $R/prof/stdout.log 2>&1)
echo "prof rc=$?"; grep "no-change split" $R/prof/stdout.log | cut -c1-120
cd $R && tar czf $OUT/prof.tgz prof && ls -la $OUT/prof.tgz
