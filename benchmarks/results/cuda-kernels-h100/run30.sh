#!/bin/bash
# device run 30 (session 11): per-kernel GPU times (ncu, gpu__time_duration) of posenet pose_1 577x577, 32 streams, tf32:
# dense kernels vs delta steps with every step sparse (plane variant never: denseCrossover 2) at exact and t0.04/0.1
set -u
T0=$(date +%s)
OUT0=$OUT; R=$OUT0/r; mkdir -p $R
export DELTA_CUDA_BUILD=/tmp/dcb
mkdir -p /tmp/dcb/Release && xz -dc carry/addon90/delta_cuda.node.xz > /tmp/dcb/Release/delta_cuda.node
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU" > $R/times.txt
i=0
for S in 'dense-kernels\+replay' 't0.04/0.1\+replay' '^exact\+replay'; do
  i=$((i+1))
  OUT=$R/b$i BENCH_NO_REFERENCE=1 BENCH_CLIPS=pose_1 BENCH_WARM=3 BENCH_TIMED=3 BENCH_BATCHES=32 BENCH_PRECISIONS=tf32 BENCH_PROFILE=0 \
    BENCH_NOCHANGE_SPLIT=0 BENCH_SETTINGS="$S" BENCH_PLANE='never:denseCrossover=2' \
    timeout 150 $NCU --clock-control none --metrics gpu__time_duration.sum --csv --log-file $R/ncu$i.csv bash carry/bundle/run.sh bench > $R/b$i.txt 2>&1
  echo "b$i rc=$? $(( $(date +%s) - T0 )) s" >> $R/times.txt
done
cd $R && tar czf $OUT0/logs.tgz --exclude='*.node' . ; cd - >/dev/null
for i in 1 2 3; do
python3 - $R/ncu$i.csv <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
h = rows[0]; rows = rows[1:]
ki = h.index('Kernel Name'); vi = h.index('Metric Value'); ui = h.index('Metric Unit')
tot = collections.defaultdict(lambda: [0.0, 0])
for r in rows:
    v = float(r[vi].replace(',', '')); u = r[ui]
    v = v / 1e3 if u in ('nsecond', 'ns') else v if u in ('usecond', 'us') else v * 1e3
    n = r[ki].split('(')[0].split('<')[0][-60:]
    tot[n][0] += v; tot[n][1] += 1
print(sys.argv[1], 'kernels', len(rows), 'total us', round(sum(t[0] for t in tot.values())))
for n, (t, c) in sorted(tot.items(), key=lambda x: -x[1][0])[:14]: print(f'  {t:10.0f} us {c:5d}x  {n}')
PY
done
grep -E "^pose_1 " $R/b*.txt | sed 's/ no-change.*//' | cut -c1-160
cat $R/times.txt
