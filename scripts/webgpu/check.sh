#!/usr/bin/env bash
# All WebGPU environment checks, short enough for CI (about 1.5 min on 2 cores; see docs/webgpu-setup.md):
#   1. test/webgpu-env/node-smoke.mjs       Dawn on every installed ICD: adapter, limits, error scopes,
#                                           compaction with atomics + dispatchWorkgroupsIndirect
#   2. test/webgpu-env/tfjs-node.mjs        tfjs-backend-webgpu 4.22 in Node: posenet 257 vs cpu,
#                                           subclass + own pipelines on the backend's device, readSync
#                                           (lavapipe: full; swiftshader: 1 frame, no cpu reference)
#   3. test/webgpu-env/browser-smoke.mjs    headless Chromium (--enable-unsafe-webgpu): the same checks
# Run scripts/webgpu/setup.sh first (root). Exit status: number of failed steps (0 = all passed).
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0; failed=0
step() {
  local name=$1; shift
  local t0=$(date +%s)
  echo "=== $name: $*"
  # Dawn prints two harmless lavapipe warnings per device (maxDynamic*BuffersPerPipelineLayout): drop them
  if "$@" 2> >(grep -v 'artificially reduced from 1000000' >&2); then
    passed=$((passed + 1)); echo "=== $name: OK ($(( $(date +%s) - t0 )) s)"
  else
    failed=$((failed + 1)); echo "=== $name: FAILED ($(( $(date +%s) - t0 )) s)"
  fi
}
step node-smoke node test/webgpu-env/node-smoke.mjs
if [ -e /usr/share/vulkan/icd.d/lvp_icd.json ]; then
  step tfjs-node-lavapipe node test/webgpu-env/tfjs-node.mjs lavapipe --frames 3
fi
if [ -e /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  step tfjs-node-swiftshader node test/webgpu-env/tfjs-node.mjs swiftshader --frames 1 --no-cpu
  step browser-smoke node test/webgpu-env/browser-smoke.mjs
fi
echo "webgpu-env: $passed passed, $failed failed"
exit $failed
