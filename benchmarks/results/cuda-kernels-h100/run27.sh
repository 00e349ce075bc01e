#!/bin/bash
# device run 27 (session 10): conv_small_k (the first layer's own kernel, float32 under every precision) + c2197eb
# (32-bit indices, K 32 from K = 96): build; conv specs; conv_layers new vs c2197eb (carry/old) and b4f796c (run 25's code, carry/old25) at B=32
# 769x577; conv_layers at B=1; ncu on conv0 and pw1 (convSmallK, wide); the posenet model bench (B=32, 1; fp32 + tf32)
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
# run 25's code (b4f796c) built in the background
( o=/tmp/cl-old25; mkdir -p $o; for f in benchmarks/cuda-kernels/conv_layers.cu kernels-cuda/dense_conv.cu kernels-cuda/dense_conv_tc.cu kernels-cuda/conv_tc_gemm.cu; do
    nvcc -O3 -std=c++17 -arch=sm_90 -c carry/old25/$f -o $o/$(basename $f .cu).o & done; wait; nvcc -arch=sm_90 -o /tmp/conv_layers_old25 $o/*.o ) > $R/old25-build.log 2>&1 &
OLD25=$!
OUT=$OUT0 BASE_SRC=carry/old TAIL=40 bash benchmarks/cuda-kernels/device-conv-check.sh > $R/check-stdout.log 2>&1
cd $R && tar czf $OUT0/logs-early.tgz --exclude='*.node' . ; cd - >/dev/null
# run 25's code (b4f796c) too, on the same machine: c2197eb's share of the difference
wait $OLD25
timeout 90 /tmp/conv_layers_old25 32 577 769 $R/conv_layers_old25-vtest-b32.json > $R/conv_layers_old25-vtest-b32.txt 2>&1
tail -3 $R/conv_layers_old25-vtest-b32.txt >> $R/check-stdout.log
timeout 40 /tmp/conv_layers 1 577 769 $R/conv_layers-vtest-b1.json > $R/conv_layers-vtest-b1.txt 2>&1
echo "bench start $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R BENCH_BATCHES=32,1 BENCH_PRECISIONS=fp32,tf32 BENCH_PROFILE=0 BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' \
  timeout $(( 520 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
# the same with conv_small_k's wide variant (pw1, pw2 on it too), 32 streams, exact replayed
mkdir -p $R/wide
OUT=$R/wide DELTA_CUDA_SMALLK_WIDE=1 BENCH_BATCHES=32 BENCH_PRECISIONS=fp32,tf32 BENCH_PROFILE=0 BENCH_SETTINGS='^exact\+replay' \
  timeout $(( 585 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/wide/bench-stdout.log 2>&1
echo "bench wide rc=$? $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . 
grep -E "^(vtest|pose_1)" $R/bench-stdout.log $R/wide/bench-stdout.log | sed 's/; plane.*//' | cut -c1-150
tail -3 $R/conv_layers-vtest-b1.txt
cat $R/check-stdout.log
