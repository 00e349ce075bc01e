#!/bin/bash
# device run 39 (session 13): segments-loads.patch applied (depthwiseSegments loads only the input columns its candidate
# outputs read), addon built here for sm_90 (carry/addon90). 1. GPU specs + real models with DELTA_CUDA_DW_SEGMENTS=all
# (segments on every 3x3 depthwise step they can take); 2. one frame per kernel (pose_1, 32 streams, tf32, t0.04/0.1,
# every step sparse) with segments off (0), default (1) and everywhere (all); 3. pose_1 32 streams: global thresholds
# around 0.99 agreement (BENCH_GRID), default crossover and 0.5, segments default.
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
DELTA_CUDA_DW_SEGMENTS=all OUT=$R/t-all SUITES='GPU specs|real models' SUITE_TIMEOUT=140 timeout 200 bash carry/bundle/run.sh test > $R/test-all.txt 2>&1
echo "test all rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
for m in 0 1 all; do
  DELTA_CUDA_DW_SEGMENTS=$m OUT=$R/n-$m BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=2 BENCH_BATCHES=32 \
    BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='t0.04/0.1\+replay' BENCH_PLANE='never:denseCrossover=2' \
    timeout 70 $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu-$m.csv bash carry/bundle/run.sh bench > $R/n-$m.txt 2>&1
  echo "ncu $m rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
done
OUT=$R/grid BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_GRID='0.01/0.01,0.01/0.02,0.02/0.01,0.02/0.02,0.01/0.03,0.03/0.02' \
  BENCH_SETTINGS='dense-kernels\+replay|t0.01/0.005\+replay|t0.0[123]/0.0[123]\+replay|t0.02/0.05\+replay' \
  BENCH_PLANE='default:;c0.5:denseCrossover=0.5' timeout $(( 560 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/grid.txt 2>&1
echo "grid rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
for m in 0 1 all; do gzip -9 $R/ncu-$m.csv 2>/dev/null; cp $R/ncu-$m.csv.gz $OUT0/ 2>/dev/null; done
cp $R/test-all.txt $R/grid.txt $OUT0/ 2>/dev/null
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' --exclude='*.csv.gz' . ; cd - >/dev/null
grep -E "passed|failed|[0-9]s$" $R/test-all.txt | tail -4
for m in 0 1 all; do echo "== segments $m"; python3 benchmarks/cuda-kernels/ncu-frame.py $R/ncu-$m.csv.gz 2>&1 | tail -12; done
grep -E "^pose_1 " $R/grid.txt | grep -v "fp32 dense" | sed 's/ no-change.*//;s/+download [0-9.]*), //;s/pose_1 577x577 B=32 tf32 //' | cut -c1-80
cat $R/times.txt
