// Shared by the conv2d implicit-GEMM kernels (dense_conv.cu on FMAs, dense_conv_tc.cu on tensor cores):
// the fused epilogue and the staging of one K slice of A (im2col of x, gathered on the fly) and W into
// shared memory. A block of THREADS threads owns a BM (pixels) x BN (output channels) tile of y and walks
// K in slices of BK; fetch(k0) loads a slice into registers (so the next slice's global latency overlaps
// the current slice's multiplies), store(As, Bs) writes it to shared memory as As[k][m] and Bs[k][n].
#pragma once
#include "dense_conv.cuh"
#include <cmath>

namespace delta_cuda {

__device__ __forceinline__ float convEpilogue(float v, int n, const Epilogue& e) {
  if (e.bias) v += e.bias[n];
  switch (e.act) {
    case A_RELU: return v < 0.f ? 0.f : v;
    case A_RELU6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case A_PRELU: return v < 0.f ? e.alpha[n % e.alphaSize] * v : v;
    case A_LEAKYRELU: return v < 0.f ? e.leaky * v : v;
    case A_ELU: return v >= 0.f ? v : expf(v) - 1.f;
    case A_SIGMOID: return 1.f / (1.f + expf(-v));
    default: return v;
  }
}

// kPlain: a 1x1, stride-1, unpadded conv (y = x W as a plain GEMM): no im2col index arithmetic.
template <int BM, int BN, int BK, int THREADS, bool kPlain>
struct ConvSliceLoader {
  static constexpr int A_PER = BM * BK / THREADS;  // A elements each thread loads per slice
  static constexpr int B_PER = BK * BN / THREADS;
  static constexpr int A_ROW_STEP = THREADS / BK;
  static constexpr int B_K_STEP = THREADS / BN;
  static_assert(A_PER * THREADS == BM * BK && B_PER * THREADS == BK * BN, "tile/threads mismatch");

  const float* __restrict__ x;
  const float* __restrict__ w;
  const ConvGeom& g;
  int M, K, NC;  // GEMM sizes: pixels, filter taps x input channels, output channels
  // A: thread -> (k = tid % BK, rows tid / BK + j * A_ROW_STEP): BK consecutive threads read BK consecutive
  // k of one pixel (contiguous channels). Per row: its pixel's input origin (im2col) or row offset (plain).
  int aK, aRow0;
  int aBase[A_PER], aIh[A_PER], aIw[A_PER];
  bool aValid[A_PER];
  // B: thread -> (n = tid % BN, k = tid / BN + j * B_K_STEP): coalesced along n.
  int bN, bK0, n0;
  float aReg[A_PER], bReg[B_PER];

  __device__ ConvSliceLoader(const float* x_, const float* w_, const ConvGeom& g_, int m0, int n0_, int tid)
      : x(x_), w(w_), g(g_), M(g_.N * g_.OH * g_.OW), K(g_.KH * g_.KW * g_.C), NC(g_.OC), aK(tid % BK), aRow0(tid / BK),
        bN(tid % BN), bK0(tid / BN), n0(n0_) {
#pragma unroll
    for (int j = 0; j < A_PER; j++) {
      const int m = m0 + aRow0 + j * A_ROW_STEP;
      aValid[j] = m < M;
      const int mm = aValid[j] ? m : 0;
      const int ow = mm % g.OW, t = mm / g.OW, oh = t % g.OH, b = t / g.OH;
      if (kPlain) {
        aBase[j] = mm * g.C;
        aIh[j] = aIw[j] = 0;
      } else {
        aBase[j] = b * g.H;
        aIh[j] = oh * g.sh - g.padT;
        aIw[j] = ow * g.sw - g.padL;
      }
    }
  }

  __device__ __forceinline__ void fetch(int k0) {
    const int k = k0 + aK;
    int kh = 0, kw = 0, ci = k;
    if (!kPlain && k < K) {
      ci = k % g.C;
      const int t = k / g.C;
      kw = t % g.KW;
      kh = t / g.KW;
    }
#pragma unroll
    for (int j = 0; j < A_PER; j++) {
      float v = 0.f;
      if (aValid[j] && k < K) {
        if (kPlain) {
          v = x[static_cast<int64_t>(aBase[j]) + ci];
        } else {
          const int ih = aIh[j] + kh * g.dh, iw = aIw[j] + kw * g.dw;
          if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
            v = x[(static_cast<int64_t>(aBase[j] + ih) * g.W + iw) * g.C + ci];
        }
      }
      aReg[j] = v;
    }
#pragma unroll
    for (int j = 0; j < B_PER; j++) {
      const int kb = k0 + bK0 + j * B_K_STEP, n = n0 + bN;
      bReg[j] = (kb < K && n < NC) ? w[static_cast<int64_t>(kb) * NC + n] : 0.f;
    }
  }

  // As: [BK][A_PITCH], Bs: [BK][B_PITCH] (pitches >= BM, BN: padding against bank conflicts).
  template <int A_PITCH, int B_PITCH>
  __device__ __forceinline__ void store(float (*As)[A_PITCH], float (*Bs)[B_PITCH]) const {
#pragma unroll
    for (int j = 0; j < A_PER; j++) As[aK][aRow0 + j * A_ROW_STEP] = aReg[j];
#pragma unroll
    for (int j = 0; j < B_PER; j++) Bs[bK0 + j * B_K_STEP][bN] = bReg[j];
  }
};

}  // namespace delta_cuda
