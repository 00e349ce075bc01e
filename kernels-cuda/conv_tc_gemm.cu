// Kernel and launcher of conv_tc_gemm.cuh (see there for the contract).
#include "conv_tc_gemm.cuh"
#include "delta_common.cuh"
#include "tc_mma.cuh"

namespace delta_cuda {
namespace tc {

template <int BM, int BN, int BK, int STAGES>
constexpr int smemBytes() {
  return STAGES * (BM * (BK + 4) + BK * (BN + 8)) * static_cast<int>(sizeof(float));
}

// 16-byte global -> shared copy, zero-filled when !valid (src-size 0: nothing is read).
__device__ __forceinline__ void cpAsync16(float* smem, const float* gmem, bool valid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0));
#endif
}
__device__ __forceinline__ void cpAsyncCommit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N>
__device__ __forceinline__ void cpAsyncWait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

// x rounded to TF32 as cvt.rna.tf32.f32 does (to nearest, ties away from zero; Inf/NaN kept), with integer ops.
__device__ __forceinline__ float roundTf32(float x) {
  uint32_t u = __float_as_uint(x);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & 0xffffe000u;
  return __uint_as_float(u);
}
__device__ __forceinline__ void roundTf32(float* p4) {
  float4 v = *reinterpret_cast<float4*>(p4);
  v = make_float4(roundTf32(v.x), roundTf32(v.y), roundTf32(v.z), roundTf32(v.w));
  *reinterpret_cast<float4*>(p4) = v;
}

namespace {

// A block: BM rows x BN output channels, WM x WN warps, each warp (BM / WM) x (BN / WN) as 16 x 8 mma tiles.
// K goes in slices of BK (16 or 32), STAGES slices in flight. kRound (tf32 only): each thread rounds the elements
// it copied to TF32 in shared memory once (integer ops, = cvt.rna) instead of a cvt per fragment use; same values.
// Shared (dynamic, smemBytes<...>()): As[STAGES][BM][BK + 4] (row = candidate, k contiguous: the 16-byte
// copies land whole; fragment reads at pitch 20 / 36 hit banks 20g + t / 4g + t, all distinct), Bs[STAGES][BK][BN + 8]
// (fragment reads: banks 8t + g). Grid-stride over (candidate group, column tile) items.
template <int BM, int BN, int WM, int WN, bool kSplit, int BK, int STAGES, bool kRound>
__global__ void __launch_bounds__(WM * WN * 32, WM * WN * 32 >= 256 ? 2 : 4) convTcGemm(Conv p, Truncate t, bool fused) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int THREADS = WM * WN * 32;
  constexpr int AP = BK + 4, BP = BN + 8;
  constexpr int WTM = BM / WM, WTN = BN / WN, MT = WTM / 16, NT = WTN / 8;
  constexpr int A_CHUNKS = BM * BK / 4, B_CHUNKS = BK * BN / 4;
  static_assert(MT * 16 == WTM && NT * 8 == WTN, "warp tile must be a multiple of 16 x 8");
  static_assert(A_CHUNKS % THREADS == 0 && B_CHUNKS % THREADS == 0, "copies must split evenly over the threads");
  extern __shared__ __align__(16) float smem[];
  float* const As = smem;
  float* const Bs = smem + STAGES * BM * AP;
  __shared__ int sB[BM], sY[BM], sX[BM], sP[BM], sProp[BM];
  __shared__ bool sLast;

  const Geom& g = p.g;
  const int outPlane = g.outH * g.outW;
  const long long n = p.cand ? static_cast<long long>(*p.count) : static_cast<long long>(g.batch) * outPlane;
  if (n < p.minRows || n >= p.maxRows) return;  // another tile shape's step
  const int nTiles = (g.outC + BN - 1) / BN;
  const long long items = (n + BM - 1) / BM * nTiles;
  const int K = g.fH * g.fW * g.inC;
  const int nk = (K + BK - 1) / BK;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = (warp % WM) * WTM, wn = (warp / WM) * WTN;
  const int gr = lane >> 2, tc = lane & 3;  // mma fragment coordinates: group row, thread column

  for (long long item = blockIdx.x; item < items; item += gridDim.x) {
    const long long grp = item / nTiles;
    const int nt = static_cast<int>(item - grp * nTiles);
    const long long k0 = grp * BM;
    const int ng = static_cast<int>(min(static_cast<long long>(BM), n - k0));
    const int n0 = nt * BN;
    __syncthreads();  // the previous item is done with the shared arrays
    for (int r = tid; r < BM; r += THREADS) {
      int b = 0, yc = -(1 << 28), xc = 0, op = 0;  // rows past the end: outside every window, zero-filled
      if (r < ng) {
        op = p.cand ? p.cand[k0 + r] : static_cast<int>(k0 + r);
        windowOrigin(op, g.outH, g.outW, g.sH, g.sW, g.padT, g.padL, b, yc, xc);
        if (nt == 0 && p.macs) atomicAdd(p.macs, static_cast<unsigned long long>(inBoundsTaps(yc, xc, g.fH, g.fW, g.dH, g.dW, g.inH, g.inW)) * g.inC * g.outC);
      }
      sB[r] = b; sY[r] = yc; sX[r] = xc; sP[r] = op;
    }
    __syncthreads();

    auto load = [&](int stage, int kb) {
      float* as = As + stage * BM * AP;
      float* bs = Bs + stage * BK * BP;
#pragma unroll
      for (int j = 0; j < A_CHUNKS / THREADS; j++) {
        const int c = tid + j * THREADS;
        const int r = c / (BK / 4), kc = c % (BK / 4);
        const int k = kb + kc * 4;
        const float* src = p.x;
        bool ok = false;
        if (k < K) {  // inC % 4 == 0: the 4 channels belong to one tap
          const int tap = k / g.inC, ci = k - tap * g.inC;
          const int kh = tap / g.fW, kw = tap - kh * g.fW;
          const int iy = sY[r] + kh * g.dH, ix = sX[r] + kw * g.dW;
          if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW) {
            ok = true;
            src = p.x + ((static_cast<long long>(sB[r]) * g.inH + iy) * g.inW + ix) * g.inC + ci;
          }
        }
        cpAsync16(as + r * AP + kc * 4, src, ok);
      }
#pragma unroll
      for (int j = 0; j < B_CHUNKS / THREADS; j++) {
        const int c = tid + j * THREADS;
        const int kr = c / (BN / 4), nc = c % (BN / 4);
        const int k = kb + kr, col = n0 + nc * 4;
        const bool ok = k < K && col < g.outC;  // outC % 4 == 0: the 4 columns are all in or all out
        cpAsync16(bs + kr * BP + nc * 4, ok ? p.w + static_cast<long long>(k) * g.outC + col : p.w, ok);
      }
    };

    float acc[MT][NT][4] = {};

#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
      if (s < nk) load(s, s * BK);
      cpAsyncCommit();  // (empty groups too: the wait below counts groups)
    }
    for (int kt = 0; kt < nk; kt++) {
      cpAsyncWait<STAGES - 2>();  // slice kt has landed (for this thread's copies) ...
      if (kRound) {  // (this thread's own copies are visible to it after the wait)
        float* as = As + (kt % STAGES) * BM * AP;
        float* bs = Bs + (kt % STAGES) * BK * BP;
#pragma unroll
        for (int j = 0; j < A_CHUNKS / THREADS; j++) {
          const int c = tid + j * THREADS;
          roundTf32(as + (c / (BK / 4)) * AP + (c % (BK / 4)) * 4);
        }
#pragma unroll
        for (int j = 0; j < B_CHUNKS / THREADS; j++) {
          const int c = tid + j * THREADS;
          roundTf32(bs + (c / (BN / 4)) * BP + (c % (BN / 4)) * 4);
        }
      }
      __syncthreads();            // ... and for everyone's; slice kt - 1's buffer is free again
      const int pf = kt + STAGES - 1;
      if (pf < nk) load(pf % STAGES, pf * BK);
      cpAsyncCommit();
      const float* as = As + (kt % STAGES) * BM * AP;
      const float* bs = Bs + (kt % STAGES) * BK * BP;
#pragma unroll
      for (int ks = 0; ks < BK; ks += 8) {
        uint32_t aBig[MT][4], bBig[NT][2], aSmall[MT][4], bSmall[NT][2];
#pragma unroll
        for (int i = 0; i < MT; i++) {
          const float* a0 = as + (wm + i * 16 + gr) * AP + ks + tc;
          const float v[4] = {a0[0], a0[8 * AP], a0[4], a0[8 * AP + 4]};
#pragma unroll
          for (int q = 0; q < 4; q++) {
            aBig[i][q] = kRound ? __float_as_uint(v[q]) : toTf32(v[q]);
            if (kSplit) aSmall[i][q] = toTf32(v[q] - __uint_as_float(aBig[i][q]));
          }
        }
#pragma unroll
        for (int j = 0; j < NT; j++) {
          const float* b0 = bs + (ks + tc) * BP + wn + j * 8 + gr;
          const float v[2] = {b0[0], b0[4 * BP]};
#pragma unroll
          for (int q = 0; q < 2; q++) {
            bBig[j][q] = kRound ? __float_as_uint(v[q]) : toTf32(v[q]);
            if (kSplit) bSmall[j][q] = toTf32(v[q] - __uint_as_float(bBig[j][q]));
          }
        }
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
          for (int j = 0; j < NT; j++) {
            if (kSplit) {  // small terms first: they are added to the smaller partial sums
              mma(acc[i][j], aSmall[i], bBig[j]);
              mma(acc[i][j], aBig[i], bSmall[j]);
            }
            mma(acc[i][j], aBig[i], bBig[j]);
          }
      }
    }
    cpAsyncWait<0>();  // only empty groups are left; the next item's prologue reuses the buffers

    // Accumulator fragment (i, j): rows wm + 16i + gr (+8), columns wn + 8j + 2tc (+1).
#pragma unroll
    for (int i = 0; i < MT; i++)
#pragma unroll
      for (int h = 0; h < 2; h++) {
        const int r = wm + i * 16 + gr + h * 8;
        if (r >= ng) continue;
        float* er = p.e + (k0 + r) * g.outC;
#pragma unroll
        for (int j = 0; j < NT; j++) {
          const int col = n0 + wn + j * 8 + tc * 2;
          if (col >= g.outC) continue;  // outC even: col + 1 is in too
          float v[2] = {acc[i][j][h * 2], acc[i][j][h * 2 + 1]};
#pragma unroll
          for (int q = 0; q < 2; q++) {
            if (p.bias) v[q] = __fadd_rn(v[q], p.bias[col + q]);
            v[q] = activate(p.act, v[q], p.leaky, p.alpha ? p.alpha[(col + q) % p.alphaSize] : 0.f);
          }
          *reinterpret_cast<float2*>(er + col) = make_float2(v[0], v[1]);
        }
      }
    // the last column tile of this group to finish truncates it
    if (fused && completesGroup(t.groups, grp, nTiles, sLast))
      truncateRows(t.vals, p.e, k0, ng, sP, g.outC, t.thr, t.list, t.listCount, t.nonFinite, sProp);
  }
#else
  __trap();  // the host never picks this kernel below sm_80
#endif
}

// Candidates below which a step takes the small tiles (enough blocks to fill the GPU with few rows).
constexpr long long SMALL_ROWS = 4096;

template <int BM, int BN, int WM, int WN, int BK, int STAGES, bool kRound>
cudaError_t launchShape(Conv p, const Truncate& t, bool fused, bool split, long long rowsBound, int sms, cudaStream_t s) {
  constexpr int bytes = smemBytes<BM, BN, BK, STAGES>();
  constexpr int threads = WM * WN * 32;
  // kRound rounds in place: tf32x3 needs the float32 values (split runs the cvt path)
  auto kernel = split ? convTcGemm<BM, BN, WM, WN, true, BK, STAGES, false> : convTcGemm<BM, BN, WM, WN, false, BK, STAGES, kRound>;
  static int resident[2] = {0, 0};  // blocks per multiprocessor, per split setting
  if (!resident[split]) {  // > 48 KiB of dynamic shared memory needs the opt-in
    cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (err == cudaSuccess) err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident[split], kernel, threads, bytes);
    if (err != cudaSuccess) return err;
    if (resident[split] < 1) resident[split] = 1;
  }
  // grid-stride over the items with as many blocks as fit at once (more would only queue behind them)
  const long long items = (rowsBound + BM - 1) / BM * ((p.g.outC + BN - 1) / BN);
  const unsigned grid = gridFor(items, 1, static_cast<unsigned>(resident[split] * sms));
  kernel<<<grid, threads, bytes, s>>>(p, t, fused);
  return cudaGetLastError();
}

}  // namespace

bool gPipelined = true;
int gVariant = 0;
void setPipelined(bool on) { gPipelined = on; }
void setVariant(int v) { gVariant = v; }
bool pipelined() { return gPipelined; }

cudaError_t launch(Conv p, const Truncate* t, bool split, cudaStream_t s) {
  const long long rows = static_cast<long long>(p.g.batch) * p.g.outH * p.g.outW;
  if (rows <= 0 || p.g.outC <= 0) return cudaSuccess;
  const Truncate none{};
  const Truncate& tr = t ? *t : none;
  const int sms = multiprocessors();
  const bool wide = p.g.outC >= 256;
  auto big = [&](long long lo, long long hi) {
    p.minRows = lo;
    p.maxRows = hi;
    const bool f = t != nullptr;
    switch (gVariant) {  // the same values whatever the variant (see setVariant)
      case 1: return wide ? launchShape<128, 128, 2, 4, 32, 3, false>(p, tr, f, split, rows, sms, s)
                          : launchShape<128, 64, 4, 2, 32, 3, false>(p, tr, f, split, rows, sms, s);
      case 2: return wide ? launchShape<128, 128, 2, 4, 16, 4, false>(p, tr, f, split, rows, sms, s)
                          : launchShape<128, 64, 4, 2, 16, 4, false>(p, tr, f, split, rows, sms, s);
      case 3: return wide ? launchShape<128, 128, 2, 4, 16, 3, true>(p, tr, f, split, rows, sms, s)
                          : launchShape<128, 64, 4, 2, 16, 3, true>(p, tr, f, split, rows, sms, s);
      default: return wide ? launchShape<128, 128, 2, 4, 16, 3, false>(p, tr, f, split, rows, sms, s)
                           : launchShape<128, 64, 4, 2, 16, 3, false>(p, tr, f, split, rows, sms, s);
    }
  };
  auto small = [&](long long lo, long long hi) {
    p.minRows = lo;
    p.maxRows = hi;
    return launchShape<32, 64, 1, 2, 16, 3, false>(p, tr, t != nullptr, split, (rows < SMALL_ROWS ? rows : SMALL_ROWS), sms, s);
  };
  if (!p.cand) return rows < SMALL_ROWS ? small(0, rows + 1) : big(0, rows + 1);
  cudaError_t err = small(0, SMALL_ROWS);
  if (err != cudaSuccess || rows < SMALL_ROWS) return err;
  return big(SMALL_ROWS, rows + 1);
}

}  // namespace tc

int multiprocessors() {
  static int sms = 0;
  if (!sms) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) sms = 80;
  }
  return sms;
}

}  // namespace delta_cuda
