// conv2d on tensor cores (sm_80+): the implicit GEMM of dense_conv.cu with its multiply-accumulate done by
// mma.sync m16n8k8 TF32 instructions instead of FMAs. See dense_conv.cuh for the GEMM view of the conv.
//
// Precision (ConvPrecision):
//   CP_TF32X3: each float32 operand is split into a TF32 "big" part and a TF32 "small" remainder
//              (x = big + small, |small| <= 2^-11 |x|); a*b is accumulated as small_a*big_b + big_a*small_b +
//              big_a*big_b (the small*small term, ~2^-22 relative, is dropped). Accumulation is float32, so
//              the result is as accurate as the SIMT float32 kernel (rounding of another summation order).
//   CP_TF32:   one TF32 product per term (10-bit mantissa operands, float32 accumulation): ~1e-3 relative
//              error per output. Faster; opt-in.
//   CP_FP16:   fp16 operands (x and w rounded to nearest even; 10-bit mantissas as tf32, but 5-bit exponents: |values|
//              above 65504 become Inf, below 6e-5 lose precision), float32 sums: conv_tc_gemm.cu's m16n8k16 path, half
//              the mma instructions of tf32. Layers it cannot take (inC % 4 != 0, unaligned) run CP_TF32 here. Opt-in.
//
// Tiling: a block computes BM (pixels) x BN (output channels) of y with WARPS_M x WARPS_N warps; a warp owns
// a (BM / WARPS_M) x (BN / WARPS_N) tile as MT x NT mma tiles of 16 x 8. K goes in slices of BK = 16 (two
// k8 steps) staged in shared memory; the next slice is fetched into registers while the current one is
// multiplied (as in dense_conv.cu). Shared layouts As[k][m] (row pitch BM + 4) and Bs[k][n] (pitch BN + 8)
// make the fragment reads conflict-free: lane (g = lane / 4, t = lane % 4) reads As[t][g] -> bank 4t + g,
// Bs[t][g] -> bank 8t + g.
#include "dense_conv.cuh"
#include "conv_gemm_tile.cuh"
#include "conv_tc_gemm.cuh"
#include "conv_small_k.cuh"
#include "tc_mma.cuh"

namespace delta_cuda {

namespace {

int gConvPrecision = CP_FP32;  // the JS side sets the backend's choice at init

template <int BM, int BN, int WARPS_M, int WARPS_N, bool kPlain, bool kSplit>
__global__ void __launch_bounds__(WARPS_M * WARPS_N * 32)
convGemmTc(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, ConvGeom g, Epilogue e) {
  constexpr int BK = 16;
  constexpr int THREADS = WARPS_M * WARPS_N * 32;
  constexpr int WTM = BM / WARPS_M, WTN = BN / WARPS_N;  // warp tile
  constexpr int MT = WTM / 16, NT = WTN / 8;              // mma tiles per warp
  static_assert(MT * 16 == WTM && NT * 8 == WTN, "warp tile must be a multiple of 16 x 8");
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN + 8];

  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int tid = threadIdx.x;
  ConvSliceLoader<BM, BN, BK, THREADS, kPlain> slice(x, w, g, m0, n0, tid);
  const int M = slice.M, K = slice.K, NC = slice.NC;

  const int warp = tid / 32, lane = tid % 32;
  const int wm = (warp % WARPS_M) * WTM, wn = (warp / WARPS_M) * WTN;
  const int gr = lane / 4, tc = lane % 4;  // mma fragment coordinates: group row, thread column

  float acc[MT][NT][4];
#pragma unroll
  for (int i = 0; i < MT; i++)
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
      for (int r = 0; r < 4; r++) acc[i][j][r] = 0.f;

  slice.fetch(0);
  for (int k0 = 0; k0 < K; k0 += BK) {
    slice.store(As, Bs);
    __syncthreads();
    if (k0 + BK < K) slice.fetch(k0 + BK);
#pragma unroll
    for (int ks = 0; ks < BK; ks += 8) {
      uint32_t aBig[MT][4], bBig[NT][2];
      uint32_t aSmall[MT][4], bSmall[NT][2];
#pragma unroll
      for (int i = 0; i < MT; i++) {
        const int r = wm + i * 16 + gr;
        const float v[4] = {As[ks + tc][r], As[ks + tc][r + 8], As[ks + tc + 4][r], As[ks + tc + 4][r + 8]};
#pragma unroll
        for (int q = 0; q < 4; q++) {
          aBig[i][q] = tc::toTf32(v[q]);
          if (kSplit) aSmall[i][q] = tc::toTf32(v[q] - __uint_as_float(aBig[i][q]));
        }
      }
#pragma unroll
      for (int j = 0; j < NT; j++) {
        const int c = wn + j * 8 + gr;
        const float v[2] = {Bs[ks + tc][c], Bs[ks + tc + 4][c]};
#pragma unroll
        for (int q = 0; q < 2; q++) {
          bBig[j][q] = tc::toTf32(v[q]);
          if (kSplit) bSmall[j][q] = tc::toTf32(v[q] - __uint_as_float(bBig[j][q]));
        }
      }
#pragma unroll
      for (int i = 0; i < MT; i++)
#pragma unroll
        for (int j = 0; j < NT; j++) {
          if (kSplit) {  // small terms first: they are added to the smaller partial sums
            tc::mma(acc[i][j], aSmall[i], bBig[j]);
            tc::mma(acc[i][j], aBig[i], bSmall[j]);
          }
          tc::mma(acc[i][j], aBig[i], bBig[j]);
        }
    }
    __syncthreads();
  }

  // Accumulator fragment (i, j): rows wm + 16i + gr (+8), columns wn + 8j + 2tc (+1).
#pragma unroll
  for (int i = 0; i < MT; i++)
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int m = m0 + wm + i * 16 + gr + h * 8;
      if (m >= M) continue;
      float* yr = y + static_cast<int64_t>(m) * NC;
#pragma unroll
      for (int j = 0; j < NT; j++) {
        const int n = n0 + wn + j * 8 + tc * 2;
        if (n < NC) yr[n] = convEpilogue(acc[i][j][h * 2], n, e);
        if (n + 1 < NC) yr[n + 1] = convEpilogue(acc[i][j][h * 2 + 1], n + 1, e);
      }
    }
}

template <int BM, int BN, int WARPS_M, int WARPS_N>
cudaError_t launchTc(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                     bool plain, bool split) {
  const int64_t M = static_cast<int64_t>(g.N) * g.OH * g.OW;
  dim3 grid(static_cast<unsigned>((M + BM - 1) / BM), static_cast<unsigned>((g.OC + BN - 1) / BN));
  constexpr int threads = WARPS_M * WARPS_N * 32;
  if (plain && split) convGemmTc<BM, BN, WARPS_M, WARPS_N, true, true><<<grid, threads, 0, s>>>(x, w, y, g, e);
  else if (plain) convGemmTc<BM, BN, WARPS_M, WARPS_N, true, false><<<grid, threads, 0, s>>>(x, w, y, g, e);
  else if (split) convGemmTc<BM, BN, WARPS_M, WARPS_N, false, true><<<grid, threads, 0, s>>>(x, w, y, g, e);
  else convGemmTc<BM, BN, WARPS_M, WARPS_N, false, false><<<grid, threads, 0, s>>>(x, w, y, g, e);
  return cudaGetLastError();
}

int deviceMajor() {
  static int major = -1;
  if (major < 0) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess)
      major = 0;
  }
  return major;
}

}  // namespace

void setConvPrecision(int p) { gConvPrecision = p; }
int convPrecisionSetting() { return gConvPrecision; }
bool tensorCoreConvAvailable() { return deviceMajor() >= 8; }

namespace {
// The launch record of the kernels shared with the delta conv (conv_tc_gemm.cuh, conv_small_k.cuh) for a dense
// run: every output pixel is a row. They speak delta_common.cuh's activation codes (the same functions, tfjs-cpu
// expressions).
tc::Conv denseRecord(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e) {
  static const int32_t kAct[] = {0 /*linear*/, 1 /*relu*/, 2 /*relu6*/, 4 /*prelu*/, 3 /*leakyrelu*/, 5 /*elu*/, 6 /*sigmoid*/};
  tc::Conv p{};
  p.g = tc::Geom{g.N, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL};
  p.x = x;
  p.w = w;
  p.bias = e.bias;
  p.alpha = e.alpha;
  p.alphaSize = e.alphaSize > 0 ? e.alphaSize : 1;
  p.act = e.act >= 0 && e.act < 7 ? kAct[e.act] : 0;
  p.leaky = e.leaky;
  p.e = y;
  return p;
}
}  // namespace

bool launchConv2dSmallK(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                        cudaError_t* err) {
  if (g.mult != 1) return false;
  const tc::Conv p = denseRecord(x, w, y, g, e);
  if (!smallk::usable(p.g)) return false;
  *err = smallk::launch(p, nullptr, s);
  return true;
}

bool launchConv2dTensorCore(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                            bool plain, bool bigTiles, cudaError_t* err) {
  if (gConvPrecision == CP_FP32 || !tensorCoreConvAvailable()) return false;
  const bool split = gConvPrecision == CP_TF32X3;
  const tc::Conv p = denseRecord(x, w, y, g, e);
  // The pipelined kernel from 4096 rows (below, the staged one here is faster: run 20 of
  // benchmarks/results/cuda-kernels-h100). Both sum the same tf32 products in the same order: the same values.
  // fp16 operands exist in the pipelined kernel only: it takes every layer it can (the delta steps do too, so a
  // recomputed candidate gets the dense run's value), the rest stays on the staged kernel in tf32.
  const long long rows = static_cast<long long>(g.N) * g.OH * g.OW;
  const bool f16 = gConvPrecision == CP_FP16;
  if (g.mult == 1 && (rows >= 4096 || f16) && (tc::pipelined() || f16) && tc::usable(p.g, x, w, y, false)) {
    *err = tc::launch(p, nullptr, tc::operandsOf(gConvPrecision), s);
    return true;
  }
  if (bigTiles) *err = launchTc<128, 64, 4, 2>(x, w, y, g, e, s, plain, split);
  else *err = launchTc<64, 32, 2, 2>(x, w, y, g, e, s, plain, split);
  return true;
}

}  // namespace delta_cuda
