#!/bin/bash
# device run 41 (session 13): narrow heads on the pipelined tensor-core conv (outC % 4 != 0: 4-byte filter copies, odd
# outC: scalar stores; posenet's 17- and 34-channel heads left the staged kernel / the SIMT delta GEMM). Addon and
# conv_layers built here for sm_90; posenet-only bundle. 1. GPU specs (new: narrow dense cases, narrow delta specs
# under tf32x3 / tf32 / fp16) + shared per-kernel; 2. conv_layers pose_1 32 streams; 3. bench pose_1 tf32 / fp16;
# 4. one sparse frame per kernel (t0.04/0.1, every step sparse, tf32).
set -u
T0=$(date +%s)
OUT0=$OUT; R=/tmp/r41; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
xz -dc carry/conv_layers.xz > /tmp/conv_layers && chmod +x /tmp/conv_layers
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
OUT=$R/t SUITES='GPU specs|shared per-kernel' SUITE_TIMEOUT=190 timeout 200 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
timeout 50 /tmp/conv_layers 32 577 577 $R/conv-layers-pose1-b32.json > $R/conv-layers-pose1-b32.txt 2>&1
echo "conv_layers rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/bench BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32,fp16 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.04/0.1\+replay' BENCH_PLANE='default:;c0.5:denseCrossover=0.5' \
  timeout 90 bash carry/bundle/run.sh bench > $R/bench.txt 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/n BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=3 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 \
  BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='t0.04/0.1\+replay' BENCH_PLANE='never:denseCrossover=2' \
  timeout $(( 420 - ($(date +%s) - T0) )) $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu.csv bash carry/bundle/run.sh bench > $R/n.txt 2>&1
echo "ncu rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
gzip -9 $R/ncu.csv 2>/dev/null
cd $R && tar czf $OUT0/r41.tgz . ; cd - >/dev/null
cp $R/test.txt $R/bench.txt $OUT0/ 2>/dev/null
grep -E "passed|failed|[0-9]s$" $R/test.txt | tail -4
grep -E "^conv total|^head" $R/conv-layers-pose1-b32.txt | cut -c1-250
python3 benchmarks/cuda-kernels/ncu-frame.py $R/ncu.csv.gz --frame 2 2>&1 | head -12
grep -E "^pose_1 " $R/bench.txt | grep -v "fp32 dense" | sed 's/ no-change.*//;s/+download [0-9.]*), //;s/ 577x577//' | cut -c1-80
cat $R/times.txt
