#!/bin/bash
# One device run of issue 9's kernel work, from the repository root of the GPU machine (the device tool), with the carry
# ["carry/bundle", "carry/addon90", "carry/conv_layers.xz"] (benchmarks/results/cuda-kernels-h100/README.md
# says how each is built): RUN=NN [BUDGET=S] bash benchmarks/cuda-kernels/device-run.sh
#   1. conv_layers (the addon's conv launchers alone) at batch 1 (vtest 769x577, pose_1 577x577) and 32 streams (pose_1):
#      per layer and the whole frame, eager / one CUDA graph;
#   2. GPU specs + shared per-kernel delta specs (the bundle's run.sh test);
#   3. the posenet bench on pose_1 at 32 streams and batch 1, tf32 / fp16, dense kernels / exact / t0.01 replayed;
#   4. Nsight Compute: the replayed batch-1 fp16 dense-kernel frame, kernel time per launch.
# Everything under /tmp/rNN goes back as $OUT/rNN.tgz (the device tool returns 8 files at most); short tables last.
# BUDGET: seconds from the start by which the ncu step ends (the rest is tar and tables); 500 unless given.
: "${RUN:?RUN=NN (the run number)}"
set -u
T0=$(date +%s)
OUT0=$OUT; R=/tmp/r$RUN; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
xz -dc carry/conv_layers.xz > /tmp/conv_layers && chmod +x /tmp/conv_layers
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > $R/gpu.txt
timeout 30 /tmp/conv_layers 1 577 769 $R/conv-layers-vtest-b1.json > $R/conv-layers-vtest-b1.txt 2>&1
timeout 30 /tmp/conv_layers 1 577 577 $R/conv-layers-pose1-b1.json > $R/conv-layers-pose1-b1.txt 2>&1
timeout 90 /tmp/conv_layers 32 577 577 $R/conv-layers-pose1-b32.json > $R/conv-layers-pose1-b32.txt 2>&1
echo "conv_layers rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/t SUITES='GPU specs|shared per-kernel' SUITE_TIMEOUT=190 timeout 200 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/bench BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32,fp16 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' \
  timeout 100 bash carry/bundle/run.sh bench > $R/bench.txt 2>&1
echo "bench rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
NL=$(( ${BUDGET:-500} - ($(date +%s) - T0) ))
[ $NL -gt 30 ] && OUT=$R/n BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=4 BENCH_BATCHES=1 BENCH_PRECISIONS=fp16 BENCH_PROFILE=0 \
  BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='dense-kernels\+replay' \
  timeout $NL $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu.csv bash carry/bundle/run.sh bench > $R/n.txt 2>&1
echo "ncu rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
gzip -9 $R/ncu.csv 2>/dev/null
cd $R && tar czf $OUT0/r$RUN.tgz . ; cd - >/dev/null
cp $R/test.txt $R/bench.txt $OUT0/ 2>/dev/null
grep -E "passed|failed|[0-9]s$" $R/test.txt | tail -4
grep -hE "^conv total|^depthwise total" $R/conv-layers-*.txt | cut -c1-200
for f in $R/conv-layers-*.txt; do echo "$f"; grep -E "^frame" $f | sed -E 's/  ([a-z0-9-]+( heads-as-one)? eager)/\n  \1/g'; done
grep -E "^head" $R/conv-layers-pose1-b32.txt | awk '{print $1,$2,$4,$6,$7,$15,$17}'  # MMAC, tf32-staged, tf32, fp16, variant 4
# batch 1 per layer: convs: MMAC, tf32-staged, tf32 (below 4096 rows both the staged kernel), fp16 (small tiles with
# deep slices), fp16-bk16 (slices of 16), then conv_layers' bench variants 4-6 (DELTA_CUDA_BENCH_VARIANTS);
# depthwise: MMAC, rows kernel
awk '$3 == "conv" {print $1,$2,$4,$6,$7,$15,$16,$17,$18,$19} $2 == "dw" {print $1,$3,$4}' $R/conv-layers-vtest-b1.txt
python3 benchmarks/cuda-kernels/ncu-frame.py $R/ncu.csv.gz --frame 2 2>&1 | head -8
grep -E "^pose_1 " $R/bench.txt | grep -v "fp32 dense" | sed 's/ no-change.*//;s/+download [0-9.]*), //;s/ 577x577//' | cut -c1-80
cat $R/times.txt
