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

constexpr int DIFF_THREADS = 256;
constexpr int DIFF_WARPS = DIFF_THREADS / 32;

// One warp per pixel, 8 pixels per block iteration, one atomicAdd per iteration for the list.
__global__ void __launch_bounds__(DIFF_THREADS) denseDiff(DenseDiffParams d) {
  __shared__ int sProp[DIFF_WARPS];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int C = d.channels;
  for (long long p0 = static_cast<long long>(blockIdx.x) * DIFF_WARPS; p0 < d.pixels; p0 += static_cast<long long>(gridDim.x) * DIFF_WARPS) {
    const long long p = p0 + warp;
    int prop = 0;
    if (p < d.pixels) {
      float* e = d.out + p * C;
      float* v = d.vals + p * C;
      bool change = false, bad = false;
      if (d.stamp == nullptr || d.stamp[p] == d.gen) {
        for (int c = lane; c < C; c += 32) {
          const float ev = e[c];
          change |= !(fabs(static_cast<double>(ev) - static_cast<double>(v[c])) <= d.thr);
          bad |= !isfinite(ev);
        }
      }
      change = __any_sync(0xffffffffu, change | bad);
      bad = __any_sync(0xffffffffu, bad);
      if (change) {
        for (int c = lane; c < C; c += 32) v[c] = e[c];
        if (lane == 0 && bad) atomicOr(d.nonFinite, 1u);
      } else {
        for (int c = lane; c < C; c += 32) e[c] = v[c];
      }
      prop = change;
    }
    if (lane == 0) sProp[warp] = prop;
    __syncthreads();
    if (threadIdx.x == 0) {
      int m = 0;
      for (int w = 0; w < DIFF_WARPS; w++) m += sProp[w];
      if (m) {
        uint32_t base = atomicAdd(d.listCount, static_cast<uint32_t>(m));
        for (int w = 0; w < DIFF_WARPS; w++) if (sProp[w]) d.list[base++] = static_cast<int32_t>(p0 + w);
      }
    }
    __syncthreads();
  }
}

}  // namespace

cudaError_t launchDenseDiff(const DenseDiffParams& p, cudaStream_t stream) {
  if (p.pixels <= 0 || p.channels <= 0) return cudaSuccess;
  denseDiff<<<gridFor(p.pixels, DIFF_WARPS, 4096), DIFF_THREADS, 0, stream>>>(p);
  return cudaGetLastError();
}

cudaError_t launchTruncate(const TruncateParams& p, cudaStream_t stream) {
  if (p.pixels <= 0 || p.channels <= 0) return cudaSuccess;
  truncate<<<gridFor(p.pixels, 256 / 32, 4096), 256, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace delta_cuda
