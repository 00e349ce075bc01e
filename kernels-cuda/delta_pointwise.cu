// Elementwise delta kernels: see delta_pointwise.cuh. One thread per (candidate, channel), coalesced
// over channels; expressions as tfjs-backend-cpu's (float32 add/sub/mul round once, as the JS double
// result stored into a Float32Array does).
#include "delta_common.cuh"
#include "delta_pointwise.cuh"

namespace delta_cuda {
namespace {

__device__ __forceinline__ void markPixel(const PixelMarkParams& m, int p) {
  if (atomicExch(&m.stamp[p], m.gen) != m.gen) appendAggregated(m.cand, m.candCount, p);
}

__global__ void __launch_bounds__(256) pixelMark(PixelMarkParams m) {
  const uint32_t n = *m.count;
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  const long long i0 = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (m.all) {
    if (n == 0) return;
    for (long long p = i0; p < m.pixels; p += stride) markPixel(m, static_cast<int>(p));
  } else {
    for (long long i = i0; i < n; i += stride) markPixel(m, m.list[i]);
  }
}

__device__ __forceinline__ float load(const float* v, int mode, long long p, int c, int C) {
  switch (mode) {
    case IDX_SCALAR: return v[0];
    case IDX_CHANNEL: return v[c];
    case IDX_PIXEL: return v[p];
    default: return v[p * C + c];
  }
}

__global__ void __launch_bounds__(256) pointwise(PointwiseParams q) {
  const long long n = q.cand ? static_cast<long long>(*q.count) : q.pixels;
  const int C = q.channels;
  const long long total = n * C;
  for (long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long k = e / C;
    const int c = static_cast<int>(e - k * C);
    const long long p = q.cand ? q.cand[k] : k;
    const float a = load(q.a, q.modeA, p, c, C);
    float r;
    switch (q.op) {
      case PW_ADD: r = __fadd_rn(a, load(q.b, q.modeB, p, c, C)); break;
      case PW_SUB: r = __fsub_rn(a, load(q.b, q.modeB, p, c, C)); break;
      case PW_MUL: r = __fmul_rn(a, load(q.b, q.modeB, p, c, C)); break;
      case PW_PRELU: r = a < 0.f ? __fmul_rn(load(q.b, q.modeB, p, c, C), a) : a; break;
      default: r = activate(q.act, a, q.leaky, 0.f); break;
    }
    q.e[e] = r;
  }
  if (q.macs && blockIdx.x == 0 && threadIdx.x == 0)
    atomicAdd(q.macs, static_cast<unsigned long long>(total) * q.macsPerElement);
}

}  // namespace

cudaError_t launchPixelMark(const PixelMarkParams& p, cudaStream_t stream) {
  if (p.pixels <= 0) return cudaSuccess;
  pixelMark<<<gridFor(p.pixels, 256, 2048), 256, 0, stream>>>(p);
  return cudaGetLastError();
}

cudaError_t launchPointwise(const PointwiseParams& p, cudaStream_t stream) {
  if (p.pixels <= 0 || p.channels <= 0) return cudaSuccess;
  pointwise<<<gridFor(p.pixels * p.channels, 256, 8192), 256, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace delta_cuda
