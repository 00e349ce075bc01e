#!/bin/bash
# device run 28 (session 10; trimmed to the budget left: no hostile/fuzz suites, no base conv_layers): conv_small_k with its output tile over the inputs' space and no division per stored
# element, the smem limit fix; the whole GPU test suite (every suite of run.sh test, fuzz 30 s); conv_layers new vs
# c2197eb (carry/old) at B=32 769x577; the posenet model bench with 30 timed frames (B=32, 1; fp32 + tf32)
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
buildLayers() {  # $1 = source root, $2 = binary
  local o=/tmp/cl-$(basename $2); mkdir -p $o
  for f in benchmarks/cuda-kernels/conv_layers.cu kernels-cuda/dense_conv.cu kernels-cuda/dense_conv_tc.cu kernels-cuda/conv_tc_gemm.cu kernels-cuda/conv_small_k.cu; do
    [ -f $1/$f ] || continue
    nvcc -O3 -std=c++17 -arch=sm_90 -c $1/$f -o $o/$(basename $f .cu).o & done
  wait; nvcc -arch=sm_90 -o $2 $o/*.o
}
( buildLayers . /tmp/conv_layers ) > $R/layers-build.log 2>&1 &
OUT=$R bash carry/bundle/run.sh build 2>&1 | tail -1 > $R/check-stdout.log
echo "addon built $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
OUT=$R SUITES='GPU specs|shared per-kernel|tfjs-core|real models' SUITE_TIMEOUT=150 timeout 230 bash carry/bundle/run.sh test > $R/test-stdout.log 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
cd $R && tar czf $OUT0/logs-early.tgz --exclude='*.node' . ; cd - >/dev/null
wait
for bin in conv_layers; do
  timeout 60 /tmp/$bin 32 577 769 $R/$bin-vtest-b32.json > $R/$bin-vtest-b32.txt 2>&1
done
timeout 30 /tmp/conv_layers 1 577 769 $R/conv_layers-vtest-b1.json > $R/conv_layers-vtest-b1.txt 2>&1
echo "layers $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
OUT=$R BENCH_TIMED=20 BENCH_BATCHES=32,1 BENCH_PRECISIONS=fp32,tf32 BENCH_PROFILE=0 BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.02/0.01\+replay|t0.06/0.03\+replay' \
  timeout $(( 400 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench-stdout.log 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/check-stdout.log
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' .
grep -E "^(vtest|pose_1) .*tf32" $R/bench-stdout.log | sed 's/; plane.*//' | cut -c1-150
grep -E "^conv0|conv total" $R/conv_layers-vtest-b32.txt | cut -c1-220
grep -E "passed|failed|s$" $R/test-stdout.log | tail -9
cat $R/check-stdout.log
