#!/bin/bash
# On the GPU machine, over a copy of the tree with the offline bundle at carry/bundle (npm run bundle -- --out carry/bundle):
# build; the conv specs only (dense conv/depthwise vs cpu under fp32/tf32x3/tf32, delta conv/depthwise specs incl. the
# tensor-core ones, the shared per-kernel delta specs; jasmine filter 'onv|epthwise' on the GPU spec files); then the
# kernel bench (conv_layers.cu, built here) at B = 32, 769x577, on the layers whose name contains $LAYERS (default all).
# BASE_SRC: a folder holding an older kernels-cuda/ and benchmarks/cuda-kernels/ (e.g. `git archive <rev> kernels-cuda
# benchmarks/cuda-kernels | tar x -C carry/old`): its conv_layers runs right after, on the same machine, for an A/B.
set -u
B=${BUNDLE:-carry/bundle}
R=$OUT/r; mkdir -p $R
T0=$(date +%s)
export DELTA_CUDA_BUILD=/tmp/dcb
nvidia-smi --query-gpu=name --format=csv,noheader | tee $R/gpu.txt
buildLayers() {  # $1 = source root, $2 = binary
  local o=/tmp/cl-$(basename $2); mkdir -p $o
  for f in benchmarks/cuda-kernels/conv_layers.cu kernels-cuda/dense_conv.cu kernels-cuda/dense_conv_tc.cu kernels-cuda/conv_tc_gemm.cu \
           kernels-cuda/conv_small_k.cu; do
    [ -f $1/$f ] || continue  # an older tree may not have every file
    nvcc -O3 -std=c++17 -arch=sm_90 -c $1/$f -o $o/$(basename $f .cu).o & done
  wait; nvcc -arch=sm_90 -o $2 $o/*.o
}
( buildLayers . /tmp/conv_layers; [ -n "${BASE_SRC:-}" ] && buildLayers $BASE_SRC /tmp/conv_layers_base ) > $R/layers-build.log 2>&1 &
OUT=$R bash $B/run.sh build 2>&1 | tail -1
OUT=$R bash $B/run.sh node -e 0
echo "addon built $(( $(date +%s) - T0 )) s"
D=$PWD/$B
( cd /tmp/delta-cuda-node/js && sed 's/\.execute();$/.execute(void 0,process.env.SPEC_FILTER||void 0);/' run-jasmine.cjs > run-jasmine-f.cjs &&
  SPEC_FILTER='onv|epthwise' DELTA_RESULT_FILE=$R/conv-specs.json DELTA_CUDA_ADDON=/tmp/dcb/Release/delta_cuda.node DELTA_CUDA_DATA=$D/data DELTA_CUDA_BUILT_ARCHS=$(cat /tmp/dcb/archs.txt) \
  timeout 75 /tmp/delta-cuda-node/bin/node --max-old-space-size=16384 run-jasmine-f.cjs jasmine-unit.json > $R/conv-specs.log 2>&1 )
echo "specs rc=$? $(( $(date +%s) - T0 )) s"; tail -3 $R/conv-specs.log; grep -E "^[0-9]+\) " -A2 $R/conv-specs.log | head -24
wait
for bin in conv_layers conv_layers_base; do
  [ -x /tmp/$bin ] || continue
  timeout 90 /tmp/$bin 32 577 769 $R/$bin-vtest-b32.json "${LAYERS:-}" > $R/$bin-vtest-b32.txt 2>&1
  echo "== $bin"; tail -${TAIL:-16} $R/$bin-vtest-b32.txt
done
echo "done $(( $(date +%s) - T0 )) s"
