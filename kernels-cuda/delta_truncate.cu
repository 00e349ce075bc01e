// Truncation: see delta_truncate.cuh. One warp per candidate pixel (channels strided over the lanes,
// coalesced), a warp vote for the decision, one atomicAdd per propagated pixel.
#include "delta_common.cuh"
#include "delta_truncate.cuh"

namespace delta_cuda {
namespace {

__global__ void __launch_bounds__(256) truncate(TruncateParams t) {
  const uint32_t n = *t.count;
  const int lane = threadIdx.x & 31;
  const long long warps = static_cast<long long>(gridDim.x) * (blockDim.x >> 5);
  const int C = t.channels;
  for (long long k = (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5; k < n; k += warps) {
    const long long p = t.cand[k];
    const float* e = t.e + k * C;
    float* v = t.vals + p * C;
    bool change = false, bad = false;
    for (int c = lane; c < C; c += 32) {
      const float ev = e[c];
      const double d = fabs(static_cast<double>(ev) - static_cast<double>(v[c]));
      change |= !(d <= t.thr);  // NaN difference: a change
      bad |= !isfinite(ev);
    }
    change = __any_sync(0xffffffffu, change | bad);
    bad = __any_sync(0xffffffffu, bad);
    if (!change) continue;
    for (int c = lane; c < C; c += 32) v[c] = e[c];
    if (lane == 0) {
      t.list[atomicAdd(t.listCount, 1u)] = static_cast<int32_t>(p);
      if (bad) atomicOr(t.nonFinite, 1u);
    }
  }
}

}  // namespace

cudaError_t launchTruncate(const TruncateParams& p, cudaStream_t stream) {
  if (p.pixels <= 0 || p.channels <= 0) return cudaSuccess;
  truncate<<<gridFor(p.pixels, 256 / 32, 4096), 256, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace delta_cuda
