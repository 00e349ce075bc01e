#!/bin/bash
# device run 24 (session 9): (1) benchmarks/cuda-kernels/device-conv-check.sh (build from the bundle of main at 4bb9077;
# the conv specs incl. the tensor-core delta specs; the pointwise variants); (2) Nsight Compute on pw7 (tf32 pipelined,
# B=32 769x577) if ncu exists; (3) the posenet model bench, B=32 and 1, fp32 + tf32, replayed settings
set -u
T0=$(date +%s)
OUT0=$OUT
mkdir -p $OUT0/r
OUT=$OUT0 bash benchmarks/cuda-kernels/device-conv-check.sh > $OUT0/r/check-stdout.log 2>&1
tail -30 $OUT0/r/check-stdout.log
R=$OUT0/r
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: ${NCU:-none} $(( $(date +%s) - T0 )) s"
if [ -n "$NCU" ]; then
  timeout 60 $NCU --section SpeedOfLight --section WarpStateStats --section MemoryWorkloadAnalysis --section Occupancy \
    --section LaunchStats --section SchedulerStats --section ComputeWorkloadAnalysis -k regex:convTcGemm -c 1 \
    /tmp/conv_layers 32 577 769 "" pw7 > $R/ncu-pw7.txt 2>&1; echo "ncu rc=$?"
  grep -E "Duration|Throughput|Warp Cycles|Stall|Occupancy|Registers|Shared Memory|Issued|Eligible|No Eligible|ERR" $R/ncu-pw7.txt | head -40
fi
echo "bench start $(( $(date +%s) - T0 )) s"
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R BENCH_BATCHES=32,1 BENCH_PRECISIONS=fp32,tf32 BENCH_PROFILE=0 BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' \
  timeout $(( 575 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s"
grep -E "ms|agree" $R/bench-stdout.log | tail -30
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . && ls -la $OUT0/logs.tgz
