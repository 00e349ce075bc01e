#!/bin/bash
# device run 33 (session 11): the final check of this session's kernels (register truncation in the delta depthwise and
# tensor-core convs, commitFlaggedRows) with the addon built here for sm_90 (archs.txt says so): every GPU suite but the
# tfjs-core ones (dense kernels unchanged), then the pose_1 bench (32 streams, tf32, default plane);
# and the depthwise delta kernel with up to 4 value groups per thread and its 3x3 taps loaded together
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
OUT=$R/t SUITES='GPU specs|shared per-kernel|real models' SUITE_TIMEOUT=110 \
  timeout 165 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
grep -E "passed|failed|s$" $R/test.txt | tail -8
grep -E "^pose_1 " $R/p1.txt | sed 's/ no-change.*//' | sed 's/+download [0-9.]*), //' | cut -c1-120
cat $R/times.txt
