#!/bin/bash
# device run 38 (written in session 12, not run): segments-loads.patch applied, addon built here for sm_90 (carry/addon90),
# offline bundle of the patched tree with posenet only. Carry ["carry/bundle", "carry/run38.sh", "carry/addon90"].
# 1. GPU specs + real models with DELTA_CUDA_DW_SEGMENTS=all (segments on every 3x3 depthwise step they can take:
#    strides 1 and 2, up to 1024 channels), then the default; 2. per-kernel time of a frame (pose_1, 32 streams, tf32,
#    t0.04/0.1, every step sparse) with segments off (0), default (1) and everywhere (all): the per-launch depthwise
#    times decide the dispatch (run 35: segments lost on 256-512 channels and stride 2 by loading whole spans for
#    scattered candidates; the patch loads only the columns the candidate outputs read).
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
DELTA_CUDA_DW_SEGMENTS=all OUT=$R/t-all SUITES='GPU specs|real models' SUITE_TIMEOUT=140 timeout 200 bash carry/bundle/run.sh test > $R/test-all.txt 2>&1
echo "test all rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
for m in 0 1 all; do
  DELTA_CUDA_DW_SEGMENTS=$m OUT=$R/n-$m BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=2 BENCH_BATCHES=32 \
    BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='t0.04/0.1\+replay' BENCH_PLANE='never:denseCrossover=2' \
    timeout 70 $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu-$m.csv bash carry/bundle/run.sh bench > $R/n-$m.txt 2>&1
  echo "ncu $m rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
done
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
grep -E "passed|failed|[0-9]s$" $R/test-all.txt | tail -3
for m in 0 1 all; do python3 benchmarks/cuda-kernels/ncu-frame.py $R/ncu-$m.csv --list 2>/dev/null | grep -E "frame|depthwise" | head -15; done
cat $R/times.txt
