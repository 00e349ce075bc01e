#!/bin/bash
# device run 33 (session 12): the depthwise delta kernel with work items of up to 32 candidates (4 value groups per
# thread, 3x3 taps loaded together; benchmarks/results/cuda-kernels-h100/pending/) built here for sm_90: every GPU
# suite but tfjs-core's (dense kernels unchanged), the pose_1/vtest bench (32 streams, tf32; batch 1), ncu of a frame
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node && echo 90-real > /tmp/dcb/archs.txt
OUT=$R/t SUITES='GPU specs|shared per-kernel|real models|hostile|fuzz' SUITE_TIMEOUT=150 FUZZ_SECONDS=45 \
  timeout 330 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
S='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.02/0.05\+replay|t0.04/0.1\+replay'
OUT=$R/p1 BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS="$S" BENCH_PLANE='default:;c0.3:denseCrossover=0.3;c0.5:denseCrossover=0.5;c0.5dw0.25:denseCrossover=0.5,denseCrossoverDepthwise=0.25;c0.7dw0.5:denseCrossover=0.7,denseCrossoverDepthwise=0.5' \
  timeout 100 bash carry/bundle/run.sh bench > $R/p1.txt 2>&1
echo "p1 rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
OUT=$R/v BENCH_CLIPS=vtest BENCH_TIMED=10 BENCH_BATCHES=32,1 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 \
  BENCH_SETTINGS='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay' BENCH_PLANE='default:;c0.3:denseCrossover=0.3' \
  timeout 70 bash carry/bundle/run.sh bench > $R/v.txt 2>&1
echo "v rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
OUT=$R/n BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=3 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 \
  BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='t0.04/0.1\+replay' BENCH_PLANE='never:denseCrossover=2' \
  timeout $(( 575 - ($(date +%s) - T0) )) $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu.csv bash carry/bundle/run.sh bench > $R/n.txt 2>&1
echo "ncu rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
grep -E "passed|failed|[0-9]s$" $R/test.txt | tail -8
for f in $R/p1.txt $R/v.txt; do grep -E "^(vtest|pose_1) " $f | sed 's/ no-change.*//' | sed 's/+download [0-9.]*), //' | cut -c1-120; done
cat $R/times.txt
