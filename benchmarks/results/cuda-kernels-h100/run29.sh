#!/bin/bash
# device run 29 (session 11): the conv cost model's crossover with tensor-core recompute (plane variants) x thresholds,
# posenet pose_1 577x577 and vtest 769x577, 32 streams and batch 1, tf32 convs; addon built here (sm_90) and carried
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
S='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.02/0.05\+replay|t0.04/0.1\+replay|t0.06/0.03\+replay'
OUT=$R/p1 BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS="$S" BENCH_PLANE='default:;c0.3:denseCrossover=0.3;c0.5:denseCrossover=0.5;c0.7:denseCrossover=0.7;never:denseCrossover=2' \
  timeout 250 bash carry/bundle/run.sh bench > $R/p1.txt 2>&1
echo "p1 rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/v BENCH_CLIPS=vtest,pose_1 BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.02/0.05\+replay' BENCH_PLANE='default:;c0.3:denseCrossover=0.3;c0.5:denseCrossover=0.5;c0.7:denseCrossover=0.7' \
  timeout $(( 520 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/v.txt 2>&1
echo "v rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
for f in $R/p1.txt $R/v.txt; do grep -E "^(vtest|pose_1) " $f | sed 's/ no-change.*//' | sed 's/+download [0-9.]*), //' | cut -c1-140; done
cat $R/times.txt
