#!/bin/bash
# The H100 run of benchmarks/webgpu/bench.cjs, from the repository root of the GPU machine, with the folder
# benchmarks/webgpu/pack-device.sh fills (carry/webgpu: bench.bundle.cjs, Dawn, libvulkan1, models, frames):
#   bash carry/webgpu/run.sh [OUTDIR]
# No Node, no Vulkan loader there: unpacks carry/node/node.xz, Debian's libvulkan1 and dawn.node; Dawn runs
# on NVIDIA's Vulkan ICD. Every configuration writes OUTDIR/<name>.json; the tables go to stdout.
set -u
OUTDIR=${1:-${OUT:-/tmp/out}}; mkdir -p "$OUTDIR"
W=carry/webgpu
NODE=/tmp/node/bin/node
[ -x $NODE ] || { mkdir -p /tmp/node/bin && xz -dc carry/node/node.xz > $NODE && chmod +x $NODE; }
for f in $W/deb/*.deb; do dpkg -x "$f" /; done; ldconfig
D=$W/node_modules/webgpu/dist/linux-x64
[ -f $D/dawn.node ] || xz -dk $D/dawn.node.xz
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUTDIR/nvidia-smi.txt"
# ONLY: a regexp of configuration names to run; BENCH_ARGS: more bench.cjs options (e.g. --profile)
B="$NODE --max-old-space-size=16384 $W/bench.bundle.cjs --adapter default --models $W/models ${BENCH_ARGS:-}"
run() { local name=$1; shift; [[ "$name" =~ ${ONLY:-.} ]] || return 0; echo "== $name"; timeout 150 $B "$@" --out "$OUTDIR/$name.json" 2>&1 | grep -v '^Warning' | tail -14; }
T="0/0,0.02/0.01,0.06/0.03"
run posenet-vtest-769x577-b1 --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 1 --warmup 5 --timed 15 --thresholds $T
run posenet-vtest-769x577-b8 --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 8 --warmup 5 --timed 15 --thresholds $T
run posenet-pose1-577x577-b1 --model posenet --frames $W/data/pose1-577x577.rgbd.xz --batch 1 --warmup 5 --timed 20 --thresholds $T
# the same with delta-webgpu's frames replayed (delta.replayModel: the kernel sequence below tfjs' graph executor)
run posenet-vtest-769x577-b1-replay --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 1 --warmup 5 --timed 15 --thresholds $T --replay
run posenet-vtest-769x577-b8-replay --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 8 --warmup 5 --timed 15 --thresholds $T --replay
run posenet-pose1-577x577-b1-replay --model posenet --frames $W/data/pose1-577x577.rgbd.xz --batch 1 --warmup 5 --timed 20 --thresholds $T --replay
run movenet-thunder-pose1-256-b1 --model movenet-thunder --frames $W/data/pose1-256x256.rgbd.xz --batch 1 --warmup 5 --timed 20 --thresholds 0/0,2.55/0.01,7.65/0.03
run movenet-thunder-pose1-256-b1-replay --model movenet-thunder --frames $W/data/pose1-256x256.rgbd.xz --batch 1 --warmup 5 --timed 20 --thresholds 0/0,2.55/0.01,7.65/0.03 --replay
# where the time goes: the same vtest b1 and pose_1 runs with the conv steps forced sparse (crossover 2) and dense + diff (0)
run posenet-vtest-769x577-b1-sparse --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 1 --warmup 5 --timed 10 --thresholds 0.02/0.01 --crossover 2
run posenet-vtest-769x577-b1-densediff --model posenet --frames $W/data/vtest-769x577.rgbd.xz --batch 1 --warmup 5 --timed 10 --thresholds 0.02/0.01 --crossover 0
run posenet-pose1-577x577-b1-sparse --model posenet --frames $W/data/pose1-577x577.rgbd.xz --batch 1 --warmup 5 --timed 10 --thresholds 0.06/0.03 --crossover 2
