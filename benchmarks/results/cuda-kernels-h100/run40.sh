#!/bin/bash
# device run 40 (session 13): fp16 operands on the tensor-core conv (convPrecision 'fp16', conv_tc_gemm.cu m16n8k16).
# Addon built here for sm_90 (carry/addon90), conv_layers built here (carry/conv_layers.xz), posenet-only bundle.
# 1. GPU specs (every dense / delta conv spec under fp32, tf32x3, tf32 and now fp16) + shared per-kernel specs;
# 2. conv_layers at 32 streams (vtest 769x577, pose_1 577x577): every conv kernel / precision, fp16 column new;
# 3. posenet bench, tf32 vs fp16, pose_1 and vtest at 32 streams and 1: dense kernels, exact, t0.01/0.005, t0.04/0.1.
set -u
T0=$(date +%s)
OUT0=$OUT; R=/tmp/r40; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
xz -dc carry/conv_layers.xz > /tmp/conv_layers && chmod +x /tmp/conv_layers
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
OUT=$R/t SUITES='GPU specs|shared per-kernel' SUITE_TIMEOUT=200 timeout 215 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
timeout 60 /tmp/conv_layers 32 577 769 $R/conv-layers-vtest-b32.json > $R/conv-layers-vtest-b32.txt 2>&1
echo "conv_layers vtest rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
timeout 50 /tmp/conv_layers 32 577 577 $R/conv-layers-pose1-b32.json > $R/conv-layers-pose1-b32.txt 2>&1
echo "conv_layers pose1 rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/bench BENCH_CLIPS=pose_1,vtest BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32,fp16 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.04/0.1\+replay' BENCH_PLANE='default:;c0.5:denseCrossover=0.5' \
  timeout $(( 470 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench.txt 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
cd $R && tar czf $OUT0/r40.tgz . ; cd - >/dev/null
cp $R/test.txt $R/bench.txt $OUT0/ 2>/dev/null
grep -E "passed|failed|[0-9]s$" $R/test.txt | tail -4
for f in $R/conv-layers-*.txt; do echo "== $f"; tail -4 $f | cut -c1-200; done
grep -E "^(pose_1|vtest) " $R/bench.txt | grep -v "fp32 dense" | sed 's/ no-change.*//;s/+download [0-9.]*), //;s/ 577x577//;s/ 769x577//' | cut -c1-90
cat $R/times.txt
