#!/bin/bash
# device run 44w: where delta-webgpu's and tfjs-webgpu's host time goes on the H100 machine (Dawn on NVIDIA's Vulkan):
# bench.cjs --profile --cpuprofile over the timed frames of posenet vtest 769x577 b1 and pose_1 577x577 b1 replayed.
# carry ["carry/node", "carry/webgpu", "carry/run44w.sh"]
set -u
R=/tmp/r44w; mkdir -p $R/p
ONLY=${ONLY:-'^posenet-(vtest-769x577-b1|pose1-577x577-b1-replay)$'} BENCH_ARGS="--profile --cpuprofile $R/p" timeout ${TL:-270} bash carry/webgpu/run.sh $R > $R/bench.txt 2>&1
# timed frames: 15 for vtest, 20 for pose_1 (run-device.sh)
for f in $R/p/*.cpuprofile; do n=15; [[ $f == *pose1* ]] && n=20; /tmp/node/bin/node benchmarks/webgpu/cpuprofile-top.cjs $f --frames $n --top 30 > ${f%.cpuprofile}.top.txt 2>&1; done
(cd $R && tar czf $OUT/r44w.tgz .)
grep -E "profile\]|^│ [0-9]" $R/bench.txt | cut -c1-220
for f in $R/p/*.top.txt; do head -14 $f; done
