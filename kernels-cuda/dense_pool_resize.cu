// Pool and resize: one thread per output element, channels innermost (coalesced).
#include "dense_pool_resize.cuh"
#include <cmath>

namespace delta_cuda {
namespace {

inline unsigned blocks1d(int64_t n) {
  const int64_t b = (n + 255) / 256;
  return static_cast<unsigned>(b < (1 << 20) ? (b > 0 ? b : 1) : (1 << 20));
}

__global__ void poolKernel(const float* __restrict__ x, float* __restrict__ y, ConvGeom g, bool isMax) {
  const int64_t total = static_cast<int64_t>(g.N) * g.OH * g.OW * g.C;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int c = static_cast<int>(i % g.C);
    int64_t t = i / g.C;
    const int ow = static_cast<int>(t % g.OW);
    t /= g.OW;
    const int oh = static_cast<int>(t % g.OH);
    const int b = static_cast<int>(t / g.OH);
    const int rC = oh * g.sh - g.padT, cC = ow * g.sw - g.padL;
    const int rMin = max(0, rC), rMax = min(g.H, g.KH + rC);
    const int cMin = max(0, cC), cMax = min(g.W, g.KW + cC);
    float mx = -INFINITY;
    double sum = 0.0;
    int count = 0;
    for (int r = rMin; r < rMax; r += g.dh) {
      const float* row = x + ((static_cast<int64_t>(b) * g.H + r) * g.W) * g.C + c;
      for (int q = cMin; q < cMax; q += g.dw) {
        const float v = row[static_cast<int64_t>(q) * g.C];
        if (isMax) {
          if (v > mx) mx = v;
        } else {
          sum += v;
          count++;
        }
      }
    }
    y[i] = isMax ? mx : static_cast<float>(sum / count);
  }
}

__global__ void resizeKernel(ResizeParams p) {
  const int64_t total = static_cast<int64_t>(p.N) * p.OH * p.OW * p.C;
  const bool ac = p.alignCorners;
  const double rowRatio = static_cast<double>((ac && p.OH > 1) ? p.H - 1 : p.H) / ((ac && p.OH > 1) ? p.OH - 1 : p.OH);
  const double colRatio = static_cast<double>((ac && p.OW > 1) ? p.W - 1 : p.W) / ((ac && p.OW > 1) ? p.OW - 1 : p.OW);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int c = static_cast<int>(i % p.C);
    int64_t t = i / p.C;
    const int ow = static_cast<int>(t % p.OW);
    t /= p.OW;
    const int oh = static_cast<int>(t % p.OH);
    const int b = static_cast<int>(t / p.OH);
    const float* img = p.x + static_cast<int64_t>(b) * p.H * p.W * p.C + c;
    if (p.nearest) {
      const double fr = p.halfPixelCenters ? rowRatio * (oh + 0.5) : rowRatio * oh;
      const double fc = p.halfPixelCenters ? colRatio * (ow + 0.5) : colRatio * ow;
      int r = min(p.H - 1, static_cast<int>(ac ? floor(fr + 0.5) : floor(fr)));
      int q = min(p.W - 1, static_cast<int>(ac ? floor(fc + 0.5) : floor(fc)));
      if (p.halfPixelCenters) { r = max(0, r); q = max(0, q); }
      p.y[i] = img[(static_cast<int64_t>(r) * p.W + q) * p.C];
      continue;
    }
    const double fr = p.halfPixelCenters ? rowRatio * (oh + 0.5) - 0.5 : rowRatio * oh;
    const double fc = p.halfPixelCenters ? colRatio * (ow + 0.5) - 0.5 : colRatio * ow;
    const int r0 = max(0, static_cast<int>(floor(fr))), r1 = min(p.H - 1, static_cast<int>(ceil(fr)));
    const int c0 = max(0, static_cast<int>(floor(fc))), c1 = min(p.W - 1, static_cast<int>(ceil(fc)));
    const double rf = fr - r0, cf = fc - c0;
    const double tl = img[(static_cast<int64_t>(r0) * p.W + c0) * p.C], tr = img[(static_cast<int64_t>(r0) * p.W + c1) * p.C];
    const double bl = img[(static_cast<int64_t>(r1) * p.W + c0) * p.C], br = img[(static_cast<int64_t>(r1) * p.W + c1) * p.C];
    const double top = tl + (tr - tl) * cf, bottom = bl + (br - bl) * cf;
    p.y[i] = static_cast<float>(top + (bottom - top) * rf);
  }
}

}  // namespace

cudaError_t launchPool(const float* x, float* y, const ConvGeom& g, bool isMax, cudaStream_t s) {
  const int64_t total = static_cast<int64_t>(g.N) * g.OH * g.OW * g.C;
  if (total == 0) return cudaSuccess;
  poolKernel<<<blocks1d(total), 256, 0, s>>>(x, y, g, isMax);
  return cudaGetLastError();
}

cudaError_t launchResize(const ResizeParams& p, cudaStream_t s) {
  const int64_t total = static_cast<int64_t>(p.N) * p.OH * p.OW * p.C;
  if (total == 0) return cudaSuccess;
  resizeKernel<<<blocks1d(total), 256, 0, s>>>(p);
  return cudaGetLastError();
}

}  // namespace delta_cuda
