#!/bin/bash
# device run 20: (1) kernel-level A/B of the dense conv kernels on PoseNet's layers (benchmarks/cuda-kernels/conv_layers.cu,
# built here: nvcc 13, sm_90, static cudart), B = 32 at 769x577 and 577x577; (2) the bundle of main at 0af3afe: run.sh test
# in full (issue 5's last check)
set -u
xz -dc carry/conv_layers.xz > /tmp/conv_layers && chmod +x /tmp/conv_layers
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $R/gpu.txt
timeout 100 /tmp/conv_layers 32 577 769 $R/conv-layers-vtest-b32.json > $R/conv-layers-vtest-b32.txt 2>&1; echo "conv_layers rc=$?"
timeout 60 /tmp/conv_layers 32 577 577 $R/conv-layers-pose1-b32.json > $R/conv-layers-pose1-b32.txt 2>&1
timeout 40 /tmp/conv_layers 1 577 769 $R/conv-layers-vtest-b1.json > $R/conv-layers-vtest-b1.txt 2>&1
echo "layers done $(( $(date +%s) - T0 )) s"
export DELTA_CUDA_BUILD=/tmp/dcb
OUT=$R bash carry/bundle/run.sh build 2>&1 | tail -1
echo "build done $(( $(date +%s) - T0 )) s"
OUT=$R SUITE_TIMEOUT=150 FUZZ_SECONDS=30 timeout $(( 570 - ($(date +%s) - T0) )) bash carry/bundle/run.sh test > $R/test-stdout.log 2>&1
echo "test rc=$?"
tail -14 $R/test-stdout.log
grep -hE "^[0-9]+\) " $R/*.log 2>/dev/null | head -10
echo "tests done $(( $(date +%s) - T0 )) s"
cat $R/conv-layers-vtest-b32.txt | tail -36
tail -3 $R/conv-layers-pose1-b32.txt; tail -3 $R/conv-layers-vtest-b1.txt
cd $R && tar czf $OUT/logs.tgz --exclude='*.node' . && ls -la $OUT/logs.tgz
