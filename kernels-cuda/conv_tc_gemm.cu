// Kernel and launcher of conv_tc_gemm.cuh (see there for the contract).
#include "conv_tc_gemm.cuh"
#include <type_traits>
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
// Four 8x8 b16 matrices from shared memory (lane l gives the address of row l % 8 of matrix l / 8; 16-byte aligned).
__device__ __forceinline__ void ldmatrixX4(float (&v)[4], const float* rowAddr) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned a = static_cast<unsigned>(__cvta_generic_to_shared(rowAddr));
  uint32_t r0, r1, r2, r3;
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a));
  v[0] = __uint_as_float(r0); v[1] = __uint_as_float(r1); v[2] = __uint_as_float(r2); v[3] = __uint_as_float(r3);
#endif
}
// 4-byte global -> shared copy (for filters whose rows are not 16-byte aligned: outC % 4 != 0), zero-filled when !valid.
__device__ __forceinline__ void cpAsync4(float* smem, const float* gmem, bool valid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 4 : 0));
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

namespace {

// Columns (col, col + 1) of an output row (pitch outC, col even): one 8-byte access when outC is even, else two
// 4-byte ones (rows of an odd pitch are not 8-byte aligned) of which the second exists only below outC.
__device__ __forceinline__ void storePair(float* row, int col, int outC, float a, float b) {
  if ((outC & 1) == 0) {
    *reinterpret_cast<float2*>(row + col) = make_float2(a, b);
    return;
  }
  row[col] = a;
  if (col + 1 < outC) row[col + 1] = b;
}

// A block: BM rows x BN output channels, WM x WN warps, each warp (BM / WM) x (BN / WN) as 16 x 8 mma tiles.
// K goes in slices of BK (16 or 32), STAGES slices in flight; 16-byte copies of 4 input channels of one tap.
// Shared (dynamic, smemBytes<...>()): As[STAGES][BM][BK + 4] (row = candidate, k contiguous: the copies land whole;
// A fragments come by ldmatrix, whose 8 row reads at pitch 80 / 144 bytes cover distinct banks), Bs[STAGES][BK][BN + 8] (fragment
// reads: banks 8t + g). Grid-stride over (candidate group, column tile) items.
//
// The copy pipeline runs across items: the slices of a block's next item are copied while the current one's last
// slices compute and its epilogue writes, so a layer with a short K (a few slices per item: the 24..192-channel
// pointwise layers) keeps STAGES - 1 slices in flight all the time instead of draining at every item. Each thread
// always copies the same A rows of an item (its copy index fixes row and k offset), so their window origins live in
// its registers, computed once per item when its copy cursor enters the item: no shared row table to double-buffer.
// Item and row indices are 32-bit (rows x outC < 2^31, the hosts check it): a 64-bit division or modulo per slice is
// a subroutine call, and Nsight Compute showed its branch and instruction-fetch stalls.
// kFused: a delta step (fused truncation); a separate instance, so that the dense run's registers stay its own.
// kOp: the operands' format (OP_TF32, OP_TF32X3, OP_F16; conv_tc_gemm.cuh).
template <int BM, int BN, int WM, int WN, int kOp, int BK, int STAGES, bool kFused>
__global__ void __launch_bounds__(WM * WN * 32, WM * WN * 32 >= 256 ? 2 : 4) convTcGemm(Conv p, Truncate t) {
  constexpr bool fused = kFused;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int THREADS = WM * WN * 32;
  constexpr int AP = BK + 4, BP = BN + 8;
  constexpr int WTM = BM / WM, WTN = BN / WN, MT = WTM / 16, NT = WTN / 8;
  constexpr int VA = 4;  // floats per A copy
  constexpr int A_PER_ROW = BK / VA, A_ROWS = BM * A_PER_ROW / THREADS, B_CHUNKS = BK * BN / 4;
  static_assert(MT * 16 == WTM && NT * 8 == WTN, "warp tile must be a multiple of 16 x 8");
  static_assert(THREADS % A_PER_ROW == 0 && (BM * A_PER_ROW) % THREADS == 0, "A copies: fixed k offset per thread");
  static_assert(B_CHUNKS % THREADS == 0, "B copies must split evenly over the threads");
  extern __shared__ __align__(16) float smem[];
  float* const As = smem;
  float* const Bs = smem + STAGES * BM * AP;
  __shared__ int sP[BM], sProp[BM];

  const Geom& g = p.g;
  const int outPlane = g.outH * g.outW;
  const int n = p.cand ? static_cast<int>(*p.count) : g.batch * outPlane;
  if (p.minRows == 0) noteCandidates(p.countCopy, p.count);  // (once per step: the launch whose range starts at 0)
  if (n < p.minRows || n >= p.maxRows) return;  // another tile shape's step
  const int nTiles = (g.outC + BN - 1) / BN;
  const int items = (n + BM - 1) / BM * nTiles;
  const int K = g.fH * g.fW * g.inC;
  const int nk = (K + BK - 1) / BK;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = (warp % WM) * WTM, wn = (warp / WM) * WTN;
  const int gr = lane >> 2, tc = lane & 3;  // mma fragment coordinates: group row, thread column
  const int aRow0 = tid / A_PER_ROW, aK = (tid % A_PER_ROW) * VA;  // A copy j: row aRow0 + j * (THREADS / A_PER_ROW)
  constexpr int A_ROW_STEP = THREADS / A_PER_ROW;

  // the copy cursor: (item, slice) of the next slice to copy, and the window origins of its item's rows
  int cItem = blockIdx.x, cKt = 0, cN0 = 0;
  int rowY[A_ROWS], rowX[A_ROWS];
  long long rowOff[A_ROWS];  // element offset of the row's window origin (b, yc, xc, channel 0); may be < 0
  auto enterItem = [&](int item) {
    const int grp = item / nTiles, nt = item - grp * nTiles;
    const int k0 = grp * BM;
    cN0 = nt * BN;
#pragma unroll
    for (int j = 0; j < A_ROWS; j++) {
      const int r = aRow0 + j * A_ROW_STEP;
      int b = 0, yc = -(1 << 28), xc = 0;  // rows past the end: outside every window, zero-filled
      if (k0 + r < n) {
        const int op = p.cand ? p.cand[k0 + r] : k0 + r;
        windowOrigin(op, g.outH, g.outW, g.sH, g.sW, g.padT, g.padL, b, yc, xc);
        if (nt == 0 && aK == 0 && p.macs)
          atomicAdd(p.macs, static_cast<unsigned long long>(inBoundsTaps(yc, xc, g.fH, g.fW, g.dH, g.dW, g.inH, g.inW)) * g.inC * g.outC);
      }
      rowY[j] = yc;
      rowX[j] = xc;
      rowOff[j] = ((static_cast<long long>(b) * g.inH + yc) * g.inW + xc) * g.inC;
    }
  };
  // copies the cursor's slice into stage `stage` (nothing past the block's last item), commits, advances the cursor
  auto copySlice = [&](int stage) {
    if (cItem < items) {
      if (cKt == 0) enterItem(cItem);
      const int kb = cKt * BK;
      float* as = As + stage * BM * AP;
      float* bs = Bs + stage * BK * BP;
      // this thread's k of the slice: one tap (VA channels of it: inC % VA == 0)
      const int k = kb + aK;
      int dy = 0, dx = 0;
      long long tapOff = 0;
      const bool kIn = k < K;
      if (kIn) {
        const int tap = k / g.inC, ci = k - tap * g.inC;
        const int kh = tap / g.fW, kw = tap - kh * g.fW;
        dy = kh * g.dH;
        dx = kw * g.dW;
        tapOff = (static_cast<long long>(dy) * g.inW + dx) * g.inC + ci;
      }
#pragma unroll
      for (int j = 0; j < A_ROWS; j++) {
        const int iy = rowY[j] + dy, ix = rowX[j] + dx;
        const bool ok = kIn && iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
        float* dst = as + (aRow0 + j * A_ROW_STEP) * AP + aK;
        const float* src = ok ? p.x + rowOff[j] + tapOff : p.x;
        cpAsync16(dst, src, ok);
      }
#pragma unroll
      for (int j = 0; j < B_CHUNKS / THREADS; j++) {
        const int c = tid + j * THREADS;
        const int kr = c / (BN / 4), nc = c % (BN / 4);
        const int kk = kb + kr, col = cN0 + nc * 4;
        // delta steps (kFused) only take outC % 4 == 0 (usable()): the narrow path's registers would make them spill
        if (kFused || (g.outC & 3) == 0) {  // the 4 columns are all in or all out, 16-byte aligned
          const bool ok = kk < K && col < g.outC;
          cpAsync16(bs + kr * BP + nc * 4, ok ? p.w + static_cast<long long>(kk) * g.outC + col : p.w, ok);
        } else {  // a narrow head of a dense run (e.g. 17 or 34 channels): filter rows are only 4-byte aligned
#pragma unroll
          for (int q = 0; q < 4; q++) {
            const bool ok = kk < K && col + q < g.outC;
            cpAsync4(bs + kr * BP + nc * 4 + q, ok ? p.w + static_cast<long long>(kk) * g.outC + col + q : p.w, ok);
          }
        }
      }
      if (++cKt == nk) {
        cKt = 0;
        cItem += gridDim.x;
      }
    }
    cpAsyncCommit();  // (empty groups too: the waits count groups)
  };

#pragma unroll
  for (int s = 0; s < STAGES - 1; s++) copySlice(s);
  int stage = 0;  // the stage of the slice computed next
  for (int item = blockIdx.x; item < items; item += gridDim.x) {
    const int grp = item / nTiles, nt = item - grp * nTiles;
    const int k0 = grp * BM;
    const int ng = min(BM, n - k0);
    const int n0 = nt * BN;
    float acc[MT][NT][4] = {};
    for (int kt = 0; kt < nk; kt++) {
      cpAsyncWait<STAGES - 2>();  // this slice has landed (for this thread's copies) ...
      __syncthreads();            // ... and for everyone's; the previous slice's buffer is free again
      copySlice(stage == 0 ? STAGES - 1 : stage - 1);
      const float* as = As + stage * BM * AP;
      const float* bs = Bs + stage * BK * BP;
      stage = stage == STAGES - 1 ? 0 : stage + 1;
      if constexpr (kOp == OP_F16) {
        // m16n8k16 on fp16 operands (float32 accumulation). The fragments come from the same float32 tiles as tf32's:
        // two ldmatrix per A fragment (k +0..7 and +8..15), converted in pairs. Within a k16 step, the fragment's k
        // slots (2t, 2t+1, 2t+8, 2t+9 of lane (g, t)) hold the slice's k (t, t+4, t+8, t+12): a fixed permutation of
        // the 16 terms, the same for A and B, so the products are those of the slice; their sum order inside the mma
        // is the hardware's, the same in every kernel of a layer (dense runs and delta steps alike).
#pragma unroll
        for (int ks = 0; ks < BK; ks += 16) {
          uint32_t a[MT][4], b[NT][2];
#pragma unroll
          for (int i = 0; i < MT; i++) {
            float v[4], u[4];
            const float* row = as + (wm + i * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * AP + ks + (lane >> 4) * 4;
            ldmatrixX4(v, row);      // (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4)
            ldmatrixX4(u, row + 8);  // the same at k + 8
            a[i][0] = packHalf2(v[0], v[2]);
            a[i][1] = packHalf2(v[1], v[3]);
            a[i][2] = packHalf2(u[0], u[2]);
            a[i][3] = packHalf2(u[1], u[3]);
          }
#pragma unroll
          for (int j = 0; j < NT; j++) {
            const float* b0 = bs + (ks + tc) * BP + wn + j * 8 + gr;
            b[j][0] = packHalf2(b0[0], b0[4 * BP]);
            b[j][1] = packHalf2(b0[8 * BP], b0[12 * BP]);
          }
#pragma unroll
          for (int i = 0; i < MT; i++)
#pragma unroll
            for (int j = 0; j < NT; j++) mmaF16(acc[i][j], a[i], b[j]);
        }
      } else {
#pragma unroll
        for (int ks = 0; ks < BK; ks += 8) {
          uint32_t aBig[MT][4], bBig[NT][2], aSmall[MT][4], bSmall[NT][2];
#pragma unroll
          for (int i = 0; i < MT; i++) {
            // one ldmatrix for the fragment: its four 8x8 b16 matrices are the 8-row x 4-float blocks (rows +0 / +8,
            // k +0 / +4), and lane (g, t) receives the float at row g, column t of each, the tf32 A layout
            float v[4];
            ldmatrixX4(v, as + (wm + i * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * AP + ks + (lane >> 4) * 4);
#pragma unroll
            for (int q = 0; q < 4; q++) {
              aBig[i][q] = toTf32(v[q]);
              if (kOp == OP_TF32X3) aSmall[i][q] = toTf32(v[q] - __uint_as_float(aBig[i][q]));
            }
          }
#pragma unroll
          for (int j = 0; j < NT; j++) {
            const float* b0 = bs + (ks + tc) * BP + wn + j * 8 + gr;
            const float v[2] = {b0[0], b0[4 * BP]};
#pragma unroll
            for (int q = 0; q < 2; q++) {
              bBig[j][q] = toTf32(v[q]);
              if (kOp == OP_TF32X3) bSmall[j][q] = toTf32(v[q] - __uint_as_float(bBig[j][q]));
            }
          }
#pragma unroll
          for (int i = 0; i < MT; i++)
#pragma unroll
            for (int j = 0; j < NT; j++) {
              if (kOp == OP_TF32X3) {  // small terms first: they are added to the smaller partial sums
                mma(acc[i][j], aSmall[i], bBig[j]);
                mma(acc[i][j], aBig[i], bSmall[j]);
              }
              mma(acc[i][j], aBig[i], bBig[j]);
            }
        }
      }
    }

    // Accumulator fragment (i, j): rows wm + 16i + gr (+8), columns wn + 8j + 2tc (+1). A thread's columns depend on
    // j only: their bias (and prelu alpha) are loaded once per item and column pair, and the activation is a template
    // argument (one switch per item instead of a switch, a modulo and two loads per value: for the short-K layers the
    // epilogue is most of an item's instructions). Same operations per value as before: the same results.
    auto storeTile = [&](auto actTag) {
      constexpr int ACT = decltype(actTag)::value;
#pragma unroll
      for (int j = 0; j < NT; j++) {
        const int col = n0 + wn + j * 8 + tc * 2;
        if (col >= g.outC) continue;  // col + 1 is in too unless outC is odd (storePair)
        float bias[2] = {0.f, 0.f}, alpha[2] = {0.f, 0.f};
#pragma unroll
        for (int q = 0; q < 2; q++) {
          if (p.bias && col + q < g.outC) bias[q] = __ldg(p.bias + col + q);
          if (ACT == ACT_PRELU && p.alpha) alpha[q] = __ldg(p.alpha + (col + q) % p.alphaSize);
        }
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
          for (int h = 0; h < 2; h++) {
            const int r = wm + i * 16 + gr + h * 8;
            if (r >= ng) continue;
            float v[2] = {acc[i][j][h * 2], acc[i][j][h * 2 + 1]};
#pragma unroll
            for (int q = 0; q < 2; q++) {
              if (p.bias) v[q] = __fadd_rn(v[q], bias[q]);
              v[q] = activate(ACT, v[q], p.leaky, alpha[q]);
            }
            storePair(p.e + static_cast<long long>(k0 + r) * g.outC, col, g.outC, v[0], v[1]);
          }
      }
    };
    // A delta step (fused truncation): every value is compared with the propagated one while it is in registers, and
    // the row's verdict (delta_common.cuh ROW_* flags) gathers in sProp over the block's warps. A layer whose output
    // channels fit one column tile writes its changed rows into vals right here (no pass through e); otherwise the
    // tile stores its values in e and ORs the verdict into the row's word of t.groups, and commitFlaggedRows (launched
    // after the GEMM) copies the rows some tile flagged. Either way a row is propagated whole, when any of its values
    // changed by more than the threshold (or is not finite): delta-cpu's rule.
    auto fusedTile = [&](auto actTag) {
      constexpr int ACT = decltype(actTag)::value;
      int rowFlag[MT][2] = {};
#pragma unroll
      for (int j = 0; j < NT; j++) {
        const int col = n0 + wn + j * 8 + tc * 2;
        if (col >= g.outC) continue;
        float bias[2] = {0.f, 0.f}, alpha[2] = {0.f, 0.f};
#pragma unroll
        for (int q = 0; q < 2; q++) {
          if (p.bias) bias[q] = __ldg(p.bias + col + q);
          if (ACT == ACT_PRELU && p.alpha) alpha[q] = __ldg(p.alpha + (col + q) % p.alphaSize);
        }
#pragma unroll
        for (int i = 0; i < MT; i++)
#pragma unroll
          for (int h = 0; h < 2; h++) {
            const int r = wm + i * 16 + gr + h * 8;
            if (r >= ng) continue;
            float v[2] = {acc[i][j][h * 2], acc[i][j][h * 2 + 1]};
            const float2 old = *reinterpret_cast<const float2*>(t.vals + static_cast<long long>(sP[r]) * g.outC + col);
            const float o[2] = {old.x, old.y};
#pragma unroll
            for (int q = 0; q < 2; q++) {
              if (p.bias) v[q] = __fadd_rn(v[q], bias[q]);
              v[q] = activate(ACT, v[q], p.leaky, alpha[q]);
              if (!isfinite(v[q])) rowFlag[i][h] |= ROW_CHANGED | ROW_NONFINITE;
              else if (valueChanged(v[q], o[q], t.thr)) rowFlag[i][h] |= ROW_CHANGED;
            }
            if (nTiles == 1) {
              acc[i][j][h * 2] = v[0];  // kept for the write-back below
              acc[i][j][h * 2 + 1] = v[1];
            } else {
              *reinterpret_cast<float2*>(p.e + static_cast<long long>(k0 + r) * g.outC + col) = make_float2(v[0], v[1]);
            }
          }
      }
      // the four lanes of a fragment row (tc = 0..3) hold its columns: OR their verdicts, one shared atomic per warp row
#pragma unroll
      for (int i = 0; i < MT; i++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
          int f = rowFlag[i][h];
          f |= __shfl_xor_sync(0xffffffffu, f, 1);
          f |= __shfl_xor_sync(0xffffffffu, f, 2);
          if (tc == 0 && f) atomicOr(&sProp[wm + i * 16 + gr + h * 8], f);
        }
      __syncthreads();  // every verdict of the tile is in
      if (nTiles == 1) {
#pragma unroll
        for (int j = 0; j < NT; j++) {
          const int col = n0 + wn + j * 8 + tc * 2;
          if (col >= g.outC) continue;
#pragma unroll
          for (int i = 0; i < MT; i++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
              const int r = wm + i * 16 + gr + h * 8;
              if (r >= ng || !(sProp[r] & ROW_CHANGED)) continue;
              *reinterpret_cast<float2*>(t.vals + static_cast<long long>(sP[r]) * g.outC + col) =
                  make_float2(acc[i][j][h * 2], acc[i][j][h * 2 + 1]);
            }
        }
        appendFlaggedRows(sProp, sP, ng, t.list, t.listCount, t.nonFinite);
      } else {
        for (int r = tid; r < ng; r += THREADS)
          if (sProp[r]) atomicOr(t.groups + k0 + r, static_cast<uint32_t>(sProp[r]));
      }
    };
    auto epilogue = [&](auto actTag) {
      if constexpr (fused) fusedTile(actTag);
      else storeTile(actTag);
    };
    if constexpr (fused) {
      // this item's rows and fresh verdicts (the K loop's barriers ordered every use of the previous item's)
      for (int r = tid; r < BM; r += THREADS) {
        sP[r] = r < ng ? p.cand[k0 + r] : 0;
        sProp[r] = 0;
      }
      __syncthreads();
    }
    switch (p.act) {
      case ACT_RELU: epilogue(std::integral_constant<int, ACT_RELU>{}); break;
      case ACT_RELU6: epilogue(std::integral_constant<int, ACT_RELU6>{}); break;
      case ACT_LEAKYRELU: epilogue(std::integral_constant<int, ACT_LEAKYRELU>{}); break;
      case ACT_PRELU: epilogue(std::integral_constant<int, ACT_PRELU>{}); break;
      case ACT_ELU: epilogue(std::integral_constant<int, ACT_ELU>{}); break;
      case ACT_SIGMOID: epilogue(std::integral_constant<int, ACT_SIGMOID>{}); break;
      case ACT_TANH: epilogue(std::integral_constant<int, ACT_TANH>{}); break;
      default: epilogue(std::integral_constant<int, ACT_LINEAR>{}); break;
    }
  }
  cpAsyncWait<0>();  // only empty groups are left
#else
  __trap();  // the host never picks this kernel below sm_80
#endif
}

// The second half of a multi-tile delta step's truncation: candidate rows whose word in flags has ROW_CHANGED (set by
// some column tile of convTcGemm) get their values copied from e into vals and their pixel appended to the update list;
// every word is left zero for the next step. A block takes 32 candidates at a time: warp 0 reads their words (one
// atomicAdd for their list slots), then the whole block copies the changed rows, 8 bytes per thread and element, so
// that many loads are in flight (a warp copying its rows one after the other was latency-bound: ~100 us per layer).
__global__ void __launch_bounds__(256) commitFlaggedRows(const float* __restrict__ e, const int32_t* cand, const uint32_t* count,
                                                         uint32_t* flags, float* __restrict__ vals, int C, int32_t* list,
                                                         uint32_t* listCount, uint32_t* nonFinite) {
  __shared__ int sK[32], sPix[32];
  __shared__ int sRows;
  const int n = static_cast<int>(*count);
  const int lane = threadIdx.x & 31;
  const int C2 = C / 2;  // outC is even (a multiple of 4: delta steps take no narrow layer)
  for (int base = blockIdx.x * 32; base < n; base += gridDim.x * 32) {
    if (threadIdx.x < 32) {
      const int k = base + lane;
      uint32_t f = 0;
      int pix = 0;
      if (k < n) {
        f = flags[k];
        if (f) {
          flags[k] = 0;
          pix = cand[k];
        }
      }
      const unsigned m = __ballot_sync(0xffffffffu, (f & ROW_CHANGED) != 0);
      uint32_t slot = 0;
      if (lane == 0 && m) slot = atomicAdd(listCount, static_cast<uint32_t>(__popc(m)));
      slot = __shfl_sync(0xffffffffu, slot, 0);
      if (f & ROW_CHANGED) {
        const int pos = __popc(m & ((1u << lane) - 1u));
        list[slot + pos] = pix;
        sK[pos] = k;
        sPix[pos] = pix;
      }
      if (__any_sync(0xffffffffu, (f & ROW_NONFINITE) != 0) && lane == 0) atomicOr(nonFinite, 1u);
      if (lane == 0) sRows = __popc(m);
    }
    __syncthreads();
    const int rows = sRows;
#pragma unroll 4
    for (int i = threadIdx.x; i < rows * C2; i += blockDim.x) {
      const int r = i / C2, c = i - r * C2;
      reinterpret_cast<float2*>(vals + static_cast<long long>(sPix[r]) * C)[c] =
          __ldcg(reinterpret_cast<const float2*>(e + static_cast<long long>(sK[r]) * C) + c);
    }
    __syncthreads();  // sK, sPix, sRows are reused
  }
}

// Candidates below which a step takes the small tiles (enough blocks to fill the GPU with few rows).
constexpr long long SMALL_ROWS = 4096;
// Reduction length from which the small tiles take deep slices (launch(): small).
constexpr int SMALL_DEEP_K = 256;

template <int BM, int BN, int WM, int WN, int BK, int STAGES>
cudaError_t launchShape(Conv p, const Truncate& t, bool fused, int op, long long rowsBound, int sms, cudaStream_t s) {
  constexpr int bytes = smemBytes<BM, BN, BK, STAGES>();
  constexpr int threads = WM * WN * 32;
  auto pick = [fused](auto opTag) {
    constexpr int OP = decltype(opTag)::value;
    return fused ? convTcGemm<BM, BN, WM, WN, OP, BK, STAGES, true> : convTcGemm<BM, BN, WM, WN, OP, BK, STAGES, false>;
  };
  auto kernel = op == OP_F16 ? pick(std::integral_constant<int, OP_F16>{})
                : op == OP_TF32X3 ? pick(std::integral_constant<int, OP_TF32X3>{}) : pick(std::integral_constant<int, OP_TF32>{});
  const int v = op * 2 + (fused ? 1 : 0);
  static int resident[6] = {0, 0, 0, 0, 0, 0};  // blocks per multiprocessor, per (operands, fused) instance
  if (!resident[v]) {  // > 48 KiB of dynamic shared memory needs the opt-in
    cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (err == cudaSuccess) err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident[v], kernel, threads, bytes);
    if (err != cudaSuccess) return err;
    if (resident[v] < 1) resident[v] = 1;
  }
  // grid-stride over the items with as many blocks as fit at once (more would only queue behind them)
  const long long items = (rowsBound + BM - 1) / BM * ((p.g.outC + BN - 1) / BN);
  const unsigned grid = gridFor(items, 1, static_cast<unsigned>(resident[v] * sms));
  kernel<<<grid, threads, bytes, s>>>(p, t);
  return cudaGetLastError();
}

}  // namespace

bool gPipelined = true;
int gVariant = 0;
void setPipelined(bool on) { gPipelined = on; }
void setVariant(int v) { gVariant = v; }
#ifdef DELTA_CUDA_BENCH_VARIANTS
bool benchVariantsBuilt() { return true; }
#else
bool benchVariantsBuilt() { return false; }
#endif
bool pipelined() { return gPipelined; }

int operandsOf(int precision) { return precision == 3 ? OP_F16 : precision == 1 ? OP_TF32X3 : OP_TF32; }

cudaError_t launch(Conv p, const Truncate* t, int op, cudaStream_t s) {
  const long long rows = static_cast<long long>(p.g.batch) * p.g.outH * p.g.outW;
  if (rows <= 0 || p.g.outC <= 0) return cudaSuccess;
  const Truncate none{};
  const Truncate& tr = t ? *t : none;
  const int sms = multiprocessors();
  const bool wide = p.g.outC >= 256, f = t != nullptr;
  // K slices of 32 from K = 96 (run 25: 3-12% faster there, slower on the 24- and 48-channel layers); the slice
  // size does not change the k order, hence not the values
  const int K = p.g.fH * p.g.fW * p.g.inC;
  // (variants 4-6 pick small-tile shapes, benchmark builds only: the big tiles keep the default)
  const int variant = gVariant && gVariant < 4 ? gVariant : (K >= 96 ? 2 : 1);
  auto big = [&](long long lo, long long hi) {
    p.minRows = lo;
    p.maxRows = hi;
    switch (variant) {  // the same values whatever the variant (see setVariant)
      case 2: return wide ? launchShape<128, 128, 2, 4, 32, 3>(p, tr, f, op, rows, sms, s)
                          : launchShape<128, 64, 4, 2, 32, 3>(p, tr, f, op, rows, sms, s);
      case 3: return wide ? launchShape<128, 128, 2, 4, 16, 4>(p, tr, f, op, rows, sms, s)
                          : launchShape<128, 64, 4, 2, 16, 4>(p, tr, f, op, rows, sms, s);
      default: return wide ? launchShape<128, 128, 2, 4, 16, 3>(p, tr, f, op, rows, sms, s)
                           : launchShape<128, 64, 4, 2, 16, 3>(p, tr, f, op, rows, sms, s);
    }
  };
  // Small tiles: few blocks of 2 warps, so a long K is a chain of slices each waiting for its copies (batch 1:
  // posenet's heads, K = 768, took 26 us for 24-47 MMAC). From K = SMALL_DEEP_K: slices of 32, 3 in flight (4 stages),
  // half the chain and three times the bytes in flight. Same k order, hence the same values.
  const bool smallDeep = K >= SMALL_DEEP_K && gVariant != 1;
  auto small = [&](long long lo, long long hi) {
    p.minRows = lo;
    p.maxRows = hi;
    const long long bound = rows < SMALL_ROWS ? rows : SMALL_ROWS;
#ifdef DELTA_CUDA_BENCH_VARIANTS
    // candidates measured by benchmarks/cuda-kernels/conv_layers (not in the addon: each shape is 6 more instances)
    if (gVariant == 4) return launchShape<32, 64, 1, 2, 32, 3>(p, tr, f, op, bound, sms, s);
    if (gVariant == 5) return launchShape<32, 64, 1, 2, 32, 6>(p, tr, f, op, bound, sms, s);
    if (gVariant == 6) return launchShape<16, 64, 1, 2, 32, 4>(p, tr, f, op, bound, sms, s);
#endif
    return smallDeep ? launchShape<32, 64, 1, 2, 32, 4>(p, tr, f, op, bound, sms, s)
                     : launchShape<32, 64, 1, 2, 16, 3>(p, tr, f, op, bound, sms, s);
  };
  if (!p.cand) return rows < SMALL_ROWS ? small(0, rows + 1) : big(0, rows + 1);
  cudaError_t err = small(0, SMALL_ROWS);
  if (err == cudaSuccess && rows >= SMALL_ROWS) err = big(SMALL_ROWS, rows + 1);
  // a delta step whose working shape has several column tiles flagged its rows: commit them (with one tile every
  // flag stayed zero and this launch finds nothing to do)
  if (err == cudaSuccess && t && p.g.outC > 64) {
    commitFlaggedRows<<<gridFor(rows, 32, static_cast<unsigned>(16 * sms)), 256, 0, s>>>(
        p.e, p.cand, p.count, t->groups, t->vals, p.g.outC, t->list, t->listCount, t->nonFinite);
    err = cudaGetLastError();
  }
  return err;
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
