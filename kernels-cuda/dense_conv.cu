// Dense convolutions: see dense_conv.cuh.
//
// conv2d is a tiled implicit GEMM (fp32, SIMT): a 256-thread block computes a 128 (pixels) x 64
// (output channels) tile of y, stepping through K in slices of 16. Each thread owns an 8 x 4 sub-tile
// in registers. A slice of A (128 x 16, gathered from x: im2col on the fly) and of W (16 x 64) is staged
// in shared memory; the next slice is fetched into registers while the current one is multiplied
// (software pipelining), so global latency overlaps the FMAs. A 1x1 stride-1 unpadded conv (a plain
// GEMM, most of MobileNet's work) skips the im2col index arithmetic. Small problems use a 64 x 32 tile
// so that the GPU still gets enough blocks.
#include "dense_conv.cuh"
#include "conv_gemm_tile.cuh"
#include <cmath>

namespace delta_cuda {
namespace {

// Tile shape: BM x BN outputs per block, BK-deep K slices, TM x TN outputs per thread.
template <int BM, int BN, int BK, int TM, int TN, bool kPlain>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
convGemm(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, ConvGeom g, Epilogue e) {
  constexpr int THREADS = (BM / TM) * (BN / TN);
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN];

  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int tid = threadIdx.x;
  ConvSliceLoader<BM, BN, BK, THREADS, kPlain> slice(x, w, g, m0, n0, tid);
  const int M = slice.M, K = slice.K, NC = slice.NC;

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  slice.fetch(0);
  for (int k0 = 0; k0 < K; k0 += BK) {
    slice.store(As, Bs);
    __syncthreads();
    if (k0 + BK < K) slice.fetch(k0 + BK);  // fetch the next slice while this one is multiplied
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) a[i] = As[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx * TN + j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; i++) {
    const int m = m0 + ty * TM + i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      const int n = n0 + tx * TN + j;
      if (n < NC) y[static_cast<int64_t>(m) * NC + n] = convEpilogue(acc[i][j], n, e);
    }
  }
}

// One thread per output element; consecutive threads take consecutive output channels (coalesced).
__global__ void depthwiseKernel(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                                ConvGeom g, Epilogue e) {
  const int64_t total = static_cast<int64_t>(g.N) * g.OH * g.OW * g.OC;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int oc = static_cast<int>(i % g.OC);
    int64_t t = i / g.OC;
    const int ow = static_cast<int>(t % g.OW);
    t /= g.OW;
    const int oh = static_cast<int>(t % g.OH);
    const int b = static_cast<int>(t / g.OH);
    const int c = oc / g.mult, q = oc % g.mult;
    const int ih0 = oh * g.sh - g.padT, iw0 = ow * g.sw - g.padL;
    float acc = 0.f;
    for (int kh = 0; kh < g.KH; kh++) {
      const int ih = ih0 + kh * g.dh;
      if (ih < 0 || ih >= g.H) continue;
      for (int kw = 0; kw < g.KW; kw++) {
        const int iw = iw0 + kw * g.dw;
        if (iw < 0 || iw >= g.W) continue;
        acc = fmaf(x[((static_cast<int64_t>(b) * g.H + ih) * g.W + iw) * g.C + c],
                   w[(static_cast<int64_t>(kh * g.KW + kw) * g.C + c) * g.mult + q], acc);
      }
    }
    y[i] = convEpilogue(acc, oc, e);
  }
}

// The common case (channel multiplier 1, C % 4 == 0): a thread takes 4 consecutive channels of one output
// pixel with 16-byte loads and 32-bit index math (the host checks sizes < 2^31). Same FMA order per
// element as depthwiseKernel, so the same results.
__global__ void depthwiseVec4Kernel(const float4* __restrict__ x, const float4* __restrict__ w, float4* __restrict__ y,
                                    ConvGeom g, Epilogue e) {
  const int C4 = g.C / 4;
  const int total = g.N * g.OH * g.OW * C4;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int c4 = i % C4;
    int t = i / C4;
    const int ow = t % g.OW;
    t /= g.OW;
    const int oh = t % g.OH;
    const int b = t / g.OH;
    const int ih0 = oh * g.sh - g.padT, iw0 = ow * g.sw - g.padL;
    float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
    for (int kh = 0; kh < g.KH; kh++) {
      const int ih = ih0 + kh * g.dh;
      if (ih < 0 || ih >= g.H) continue;
      const float4* row = x + (b * g.H + ih) * g.W * C4 + c4;
      for (int kw = 0; kw < g.KW; kw++) {
        const int iw = iw0 + kw * g.dw;
        if (iw < 0 || iw >= g.W) continue;
        const float4 xv = row[iw * C4];
        const float4 wv = w[(kh * g.KW + kw) * C4 + c4];
        acc.x = fmaf(xv.x, wv.x, acc.x);
        acc.y = fmaf(xv.y, wv.y, acc.y);
        acc.z = fmaf(xv.z, wv.z, acc.z);
        acc.w = fmaf(xv.w, wv.w, acc.w);
      }
    }
    const int c = c4 * 4;
    y[i] = make_float4(convEpilogue(acc.x, c, e), convEpilogue(acc.y, c + 1, e), convEpilogue(acc.z, c + 2, e), convEpilogue(acc.w, c + 3, e));
  }
}

// 3x3 depthwise (multiplier 1, C % 4 == 0) with stride S and dilation D in both axes: a thread takes 4 channels
// of OWT consecutive output pixels of one row, so each input float4 of a filter row is loaded once for the
// (up to 3) outputs that read it: (OWT - 1) * S + 2 * D + 1 loads per filter row instead of 3 * OWT. Same taps
// in the same order per element as depthwiseKernel (out-of-bounds taps skipped): the same results.
template <int S, int D>
__global__ void depthwise3x3Vec4Rows(const float4* __restrict__ x, const float4* __restrict__ w, float4* __restrict__ y,
                                     ConvGeom g, Epilogue e) {
  constexpr int OWT = 4, SPAN = (OWT - 1) * S + 2 * D + 1;
  const int C4 = g.C / 4;
  const int OWB = (g.OW + OWT - 1) / OWT;
  const int total = g.N * g.OH * OWB * C4;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int c4 = i % C4;
    int t = i / C4;
    const int owb = t % OWB;
    t /= OWB;
    const int oh = t % g.OH;
    const int b = t / g.OH;
    const int ow0 = owb * OWT;
    const int ih0 = oh * S - g.padT, iw0 = ow0 * S - g.padL;
    float4 acc[OWT];
#pragma unroll
    for (int j = 0; j < OWT; j++) acc[j] = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int kh = 0; kh < 3; kh++) {
      const int ih = ih0 + kh * D;
      if (ih < 0 || ih >= g.H) continue;
      const float4* row = x + (b * g.H + ih) * g.W * C4 + c4;
      float4 xv[SPAN];
#pragma unroll
      for (int q = 0; q < SPAN; q++) {
        const int iw = iw0 + q;
        xv[q] = iw >= 0 && iw < g.W ? row[iw * C4] : make_float4(0.f, 0.f, 0.f, 0.f);
      }
#pragma unroll
      for (int kw = 0; kw < 3; kw++) {
        const float4 wv = w[(kh * 3 + kw) * C4 + c4];
#pragma unroll
        for (int j = 0; j < OWT; j++) {
          const int q = j * S + kw * D, iw = iw0 + q;
          if (iw < 0 || iw >= g.W) continue;  // skipped, as the cpu does (not a multiply by 0: -0 stays -0)
          acc[j].x = fmaf(xv[q].x, wv.x, acc[j].x);
          acc[j].y = fmaf(xv[q].y, wv.y, acc[j].y);
          acc[j].z = fmaf(xv[q].z, wv.z, acc[j].z);
          acc[j].w = fmaf(xv[q].w, wv.w, acc[j].w);
        }
      }
    }
    const int c = c4 * 4;
    float4* yr = y + ((b * g.OH + oh) * g.OW + ow0) * C4 + c4;
#pragma unroll
    for (int j = 0; j < OWT; j++) {
      if (ow0 + j >= g.OW) break;
      yr[j * C4] = make_float4(convEpilogue(acc[j].x, c, e), convEpilogue(acc[j].y, c + 1, e), convEpilogue(acc[j].z, c + 2, e),
                               convEpilogue(acc[j].w, c + 3, e));
    }
  }
}

bool gDepthwiseRows = true;

__global__ void backpropInputKernel(const float* __restrict__ dy, const float* __restrict__ w, float* __restrict__ dx,
                                    ConvGeom g) {
  const int64_t total = static_cast<int64_t>(g.N) * g.H * g.W * g.C;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int ci = static_cast<int>(i % g.C);
    int64_t t = i / g.C;
    const int xw = static_cast<int>(t % g.W);
    t /= g.W;
    const int xh = static_cast<int>(t % g.H);
    const int b = static_cast<int>(t / g.H);
    float acc = 0.f;
    for (int kh = 0; kh < g.KH; kh++) {
      const int num = xh + g.padT - kh * g.dh;
      if (num < 0 || num % g.sh) continue;
      const int oh = num / g.sh;
      if (oh >= g.OH) continue;
      for (int kw = 0; kw < g.KW; kw++) {
        const int numw = xw + g.padL - kw * g.dw;
        if (numw < 0 || numw % g.sw) continue;
        const int ow = numw / g.sw;
        if (ow >= g.OW) continue;
        const float* dyp = dy + ((static_cast<int64_t>(b) * g.OH + oh) * g.OW + ow) * g.OC;
        const float* wp = w + (static_cast<int64_t>(kh * g.KW + kw) * g.C + ci) * g.OC;
        for (int co = 0; co < g.OC; co++) acc = fmaf(dyp[co], wp[co], acc);
      }
    }
    dx[i] = acc;
  }
}

inline unsigned blocks1d(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < (1 << 20) ? (b > 0 ? b : 1) : (1 << 20));
}

template <int BM, int BN, int BK, int TM, int TN>
cudaError_t launchGemm(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                       bool plain) {
  const int64_t M = static_cast<int64_t>(g.N) * g.OH * g.OW;
  dim3 grid(static_cast<unsigned>((M + BM - 1) / BM), static_cast<unsigned>((g.OC + BN - 1) / BN));
  constexpr int threads = (BM / TM) * (BN / TN);
  if (plain) convGemm<BM, BN, BK, TM, TN, true><<<grid, threads, 0, s>>>(x, w, y, g, e);
  else convGemm<BM, BN, BK, TM, TN, false><<<grid, threads, 0, s>>>(x, w, y, g, e);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launchConv2d(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s) {
  const int64_t M = static_cast<int64_t>(g.N) * g.OH * g.OW;
  if (M == 0 || g.OC == 0) return cudaSuccess;
  if (static_cast<int64_t>(g.N) * g.H * g.W * g.C >= (1ll << 31) || M * g.OC >= (1ll << 31))
    return cudaErrorInvalidValue;  // the host rejects these with a message first
  const bool plain = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.padT == 0 && g.padL == 0 &&
                     g.OH == g.H && g.OW == g.W;
  // Enough 128 x 64 tiles to fill the GPU (>= ~2 waves of 132 SMs)? Otherwise smaller tiles.
  const bool bigTiles = ((M + 127) / 128) * ((g.OC + 63) / 64) >= 264;
  cudaError_t tcErr = cudaSuccess;
  if (launchConv2dSmallK(x, w, y, g, e, s, &tcErr)) return tcErr;
  if (launchConv2dTensorCore(x, w, y, g, e, s, plain, bigTiles, &tcErr)) return tcErr;
  if (bigTiles) return launchGemm<128, 64, 16, 8, 4>(x, w, y, g, e, s, plain);
  return launchGemm<64, 32, 16, 4, 2>(x, w, y, g, e, s, plain);
}

cudaError_t launchDepthwise(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s) {
  const int64_t total = static_cast<int64_t>(g.N) * g.OH * g.OW * g.OC;
  if (total == 0) return cudaSuccess;
  const int64_t inElems = static_cast<int64_t>(g.N) * g.H * g.W * g.C;
  if (g.mult == 1 && g.C % 4 == 0 && total < (1ll << 31) && inElems < (1ll << 31)) {
    if (gDepthwiseRows && g.KH == 3 && g.KW == 3 && g.sh == g.sw && g.dh == g.dw) {
      const auto* xv = reinterpret_cast<const float4*>(x);
      const auto* wv = reinterpret_cast<const float4*>(w);
      auto* yv = reinterpret_cast<float4*>(y);
      const unsigned blocks = blocks1d(total / 4 / 4 + 1, 256);
      if (g.sh == 1 && g.dh == 1) { depthwise3x3Vec4Rows<1, 1><<<blocks, 256, 0, s>>>(xv, wv, yv, g, e); return cudaGetLastError(); }
      if (g.sh == 2 && g.dh == 1) { depthwise3x3Vec4Rows<2, 1><<<blocks, 256, 0, s>>>(xv, wv, yv, g, e); return cudaGetLastError(); }
      if (g.sh == 1 && g.dh == 2) { depthwise3x3Vec4Rows<1, 2><<<blocks, 256, 0, s>>>(xv, wv, yv, g, e); return cudaGetLastError(); }
    }
    depthwiseVec4Kernel<<<blocks1d(total / 4, 256), 256, 0, s>>>(reinterpret_cast<const float4*>(x),
        reinterpret_cast<const float4*>(w), reinterpret_cast<float4*>(y), g, e);
    return cudaGetLastError();
  }
  depthwiseKernel<<<blocks1d(total, 256), 256, 0, s>>>(x, w, y, g, e);
  return cudaGetLastError();
}

void setDepthwiseRows(bool on) { gDepthwiseRows = on; }

cudaError_t launchConv2dBackpropInput(const float* dy, const float* w, float* dx, const ConvGeom& g, cudaStream_t s) {
  const int64_t total = static_cast<int64_t>(g.N) * g.H * g.W * g.C;
  if (total == 0) return cudaSuccess;
  backpropInputKernel<<<blocks1d(total, 256), 256, 0, s>>>(dy, w, dx, g);
  return cudaGetLastError();
}

}  // namespace delta_cuda
