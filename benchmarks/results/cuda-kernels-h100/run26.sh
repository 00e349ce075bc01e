#!/bin/bash
# device run 26 (session 9; not run yet): conv_tc_gemm with 32-bit item math, K slices of 32 from K = 96 (same as run 25 otherwise: ldmatrix A
# fragments: build; conv specs; conv_layers new vs old (main at 4bb9077, carry/old) on every layer at B=32 769x577;
# conv_layers new at B=1; the posenet model bench (B=32, 1; fp32 + tf32; dense kernels and exact, replayed)
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
OUT=$OUT0 BASE_SRC=carry/old TAIL=36 bash benchmarks/cuda-kernels/device-conv-check.sh > $R/check-stdout.log 2>&1
timeout 40 /tmp/conv_layers 1 577 769 $R/conv_layers-vtest-b1.json > $R/conv_layers-vtest-b1.txt 2>&1
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
M=""; for st in barrier short_scoreboard long_scoreboard math_pipe_throttle mio_throttle wait not_selected dispatch_stall lg_throttle no_instruction selected branch_resolving; do
  M="$M,smsp__average_warps_issue_stalled_${st}_per_issue_active.ratio"; done
for L in pw7; do
  [ -n "$NCU" ] && timeout 45 $NCU --section SpeedOfLight --section Occupancy --section SchedulerStats --section WarpStateStats --metrics ${M#,} \
    -k regex:convTcGemm -c 1 /tmp/conv_layers 32 577 769 "" $L > $R/ncu-$L.txt 2>&1
done
echo "bench start $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R BENCH_BATCHES=32,1 BENCH_PRECISIONS=fp32,tf32 BENCH_PROFILE=0 BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' \
  timeout $(( 580 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . 
grep -E "^(vtest|pose_1)" $R/bench-stdout.log | sed 's/; plane.*//' | cut -c1-150
tail -3 $R/conv_layers-vtest-b1.txt
cat $R/check-stdout.log
grep -hE "Duration|stalled|Eligible Warps|Registers Per|Achieved Occ" $R/ncu-pw7.txt $R/ncu-pw1.txt
