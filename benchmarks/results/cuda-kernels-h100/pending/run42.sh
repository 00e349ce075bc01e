#!/bin/bash
# device run 42 (session 13): the narrow-heads patch, its conv specs only (jasmine filter 'onv': dense conv cases incl.
# the new narrow ones under every precision, delta conv specs incl. the narrow ones), conv_layers pose_1 at 32 streams,
# the posenet dense-kernel frame (tf32, fp16). Addon and conv_layers built here for sm_90.
set -u
T0=$(date +%s)
R=$OUT; D=$PWD/carry/bundle
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
xz -dc carry/conv_layers.xz > /tmp/conv_layers && chmod +x /tmp/conv_layers
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name --format=csv,noheader > $R/gpu.txt
OUT=$R/u bash carry/bundle/run.sh node -e 0 > /dev/null 2>&1
( cd /tmp/delta-cuda-node/js && sed 's/\.execute();$/.execute(void 0,process.env.SPEC_FILTER||void 0);/' run-jasmine.cjs > run-jasmine-f.cjs &&
  SPEC_FILTER='onv' DELTA_RESULT_FILE=$R/conv-specs.json DELTA_CUDA_ADDON=/tmp/dcb/Release/delta_cuda.node DELTA_CUDA_DATA=$D/data DELTA_CUDA_BUILT_ARCHS=90-real \
  timeout 110 /tmp/delta-cuda-node/bin/node --max-old-space-size=16384 run-jasmine-f.cjs jasmine-unit.json > $R/conv-specs.log 2>&1 )
echo "specs rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
timeout 45 /tmp/conv_layers 32 577 577 $R/conv-layers-pose1-b32.json > $R/conv-layers-pose1-b32.txt 2>&1
echo "conv_layers rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/bench BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32,fp16 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|t0.01/0.005\+replay' timeout $(( 230 - ($(date +%s) - T0) )) bash carry/bundle/run.sh bench > $R/bench.txt 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
tail -3 $R/conv-specs.log; grep -E "^[0-9]+\) " -A3 $R/conv-specs.log | head -20
grep -E "^conv total|^head" $R/conv-layers-pose1-b32.txt | cut -c1-250
grep -E "^pose_1 " $R/bench.txt | grep -v "fp32 dense" | sed 's/ no-change.*//;s/+download [0-9.]*), //;s/ 577x577//' | cut -c1-80
cat $R/times.txt
