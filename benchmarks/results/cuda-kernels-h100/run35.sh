#!/bin/bash
# device run 35 (session 12): depthwise delta steps as row segments (depthwiseSegments), the 32-candidate items of
# pending/depthwise-items.patch, mark-free 1x1 conv steps; addon built here for sm_90. GPU suites (but tfjs-core's);
# then an A/B/C on one machine: A = main's addon (runs 29-32; markFree=0: its binding has no count word), B = this
# addon with DELTA_CUDA_DW_SEGMENTS=0 (items only), C = this addon (segments; and C without mark-free steps):
# pose_1 bench at 32 streams (tf32), and C's per-kernel time of a frame with every step sparse.
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
for v in old new; do
  mkdir -p /tmp/dcb-$v/Release && xz -dc carry/addon90${v/new/}/delta_cuda.node.xz > /tmp/dcb-$v/Release/delta_cuda.node
  echo 90-real > /tmp/dcb-$v/archs.txt
done
DELTA_CUDA_BUILD=/tmp/dcb-new OUT=$R/t SUITES='GPU specs|shared per-kernel|real models|fuzz' SUITE_TIMEOUT=150 FUZZ_SECONDS=30 \
  timeout 250 bash carry/bundle/run.sh test > $R/test.txt 2>&1
echo "test rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
S='dense-kernels\+replay|^exact\+replay|t0.01/0.005\+replay|t0.02/0.05\+replay|t0.04/0.1\+replay'
bench() {  # addon segments tag plane-variants
  DELTA_CUDA_DW_SEGMENTS=$2 DELTA_CUDA_BUILD=/tmp/dcb-$1 OUT=$R/p1-$3 BENCH_CLIPS=pose_1 BENCH_TIMED=10 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 \
    BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS="$S" BENCH_PLANE="$4" \
    timeout 50 bash carry/bundle/run.sh bench > $R/p1-$3.txt 2>&1
  echo "bench $3 rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
}
frame() {  # addon segments tag
  DELTA_CUDA_DW_SEGMENTS=$2 DELTA_CUDA_BUILD=/tmp/dcb-$1 OUT=$R/n-$3 BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=3 \
    BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS='t0.04/0.1\+replay' \
    BENCH_PLANE='never:denseCrossover=2' \
    timeout $(( 480 - ($(date +%s) - T0) )) $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu-$3.csv bash carry/bundle/run.sh bench > $R/n-$3.txt 2>&1
  echo "ncu $3 rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
}
bench new 1 C 'default:;c0.5:denseCrossover=0.5;c0.5nomf:denseCrossover=0.5,markFree=0'
bench old 1 A 'default:markFree=0;c0.5:denseCrossover=0.5,markFree=0'
bench new 0 B 'default:;c0.5:denseCrossover=0.5'
frame new 1 C
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
grep -E "passed|failed|[0-9]s$" $R/test.txt | tail -8
for f in $R/p1-*.txt; do echo "== $f"; grep -E "^pose_1 " $f | grep -v "fp32 dense" | sed 's/ no-change.*//' | sed 's/+download [0-9.]*), //' | sed 's/pose_1 577x577 B=32 tf32 //' | cut -c1-75; done
cat $R/times.txt
