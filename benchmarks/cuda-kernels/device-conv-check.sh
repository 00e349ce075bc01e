#!/bin/bash
# On the GPU machine, over a copy of the tree with the offline bundle at carry/bundle (npm run bundle -- --out carry/bundle):
# build; the conv specs only (dense conv/depthwise vs cpu under fp32/tf32x3/tf32,
# delta conv/depthwise specs incl. the tensor-core ones; jasmine filter 'onv|epthwise' on the GPU spec files); then the
# kernel bench's tile-loop variants on the pointwise layers
set -u
B=${BUNDLE:-carry/bundle}
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
mkdir -p /tmp/cl && for f in benchmarks/cuda-kernels/conv_layers.cu kernels-cuda/dense_conv.cu kernels-cuda/dense_conv_tc.cu kernels-cuda/conv_tc_gemm.cu; do
  nvcc -O3 -std=c++17 -arch=sm_90 -c $f -o /tmp/cl/$(basename $f .cu).o & done
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R bash $B/run.sh node -e 0
echo "addon built $(( $(date +%s) - T0 )) s"
D=$PWD/$B
( cd /tmp/delta-cuda-node/js && sed 's/\.execute();$/.execute(void 0,process.env.SPEC_FILTER||void 0);/' run-jasmine.cjs > run-jasmine-f.cjs &&
  SPEC_FILTER='onv|epthwise' DELTA_RESULT_FILE=$R/conv-specs.json DELTA_CUDA_ADDON=/tmp/dcb/Release/delta_cuda.node DELTA_CUDA_DATA=$D/data DELTA_CUDA_BUILT_ARCHS=$(cat /tmp/dcb/archs.txt) \
  timeout 75 /tmp/delta-cuda-node/bin/node --max-old-space-size=16384 run-jasmine-f.cjs jasmine-unit.json > $R/conv-specs.log 2>&1 )
echo "specs rc=$? $(( $(date +%s) - T0 )) s"; tail -3 $R/conv-specs.log; grep -E "^[0-9]+\) " -A2 $R/conv-specs.log | head -24
wait; nvcc -arch=sm_90 -o /tmp/conv_layers /tmp/cl/*.o
timeout 20 /tmp/conv_layers 32 577 769 $R/conv-layers-pw-vtest-b32.json pw > $R/conv-layers-pw-vtest-b32.txt 2>&1
tail -16 $R/conv-layers-pw-vtest-b32.txt
echo "done $(( $(date +%s) - T0 )) s"
cd $R && tar czf $OUT/logs.tgz --exclude='*.node' . && ls -la $OUT/logs.tgz
