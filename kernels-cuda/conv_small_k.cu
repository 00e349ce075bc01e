// Kernel and launcher of conv_small_k.cuh (see there for the contract).
#include "conv_small_k.cuh"
#include <algorithm>
#include "delta_common.cuh"

namespace delta_cuda {
namespace smallk {
namespace {

bool gEnabled = true;

// Output channels per pass (OCB: accumulators per thread; 8..32) and the filter's padded width in shared memory.
struct Shape {
  int ocb, ocp;
  long long bytes;  // dynamic shared memory
};
Shape shapeOf(const tc::Geom& g) {
  const long long K = static_cast<long long>(g.fH) * g.fW * g.inC;
  const int ocb = g.outC <= 32 ? (g.outC + 7) / 8 * 8 : 32;
  const int ocp = (g.outC + ocb - 1) / ocb * ocb;
  // one pass (outC <= 32): the output tile reuses the inputs' space
  const long long tile = static_cast<long long>(ROWS) * (ocb + 1);
  const long long rest = ocp == ocb ? std::max(K * ROWS, tile) : K * ROWS + tile;
  return {ocb, ocp, static_cast<long long>(sizeof(float)) * (K * ocp + rest)};
}

template <int OCB>
__global__ void __launch_bounds__(ROWS) convSmallK(tc::Conv p, tc::Truncate t, bool fused, bool vec4) {
  extern __shared__ __align__(16) float smem[];
  __shared__ int sPix[ROWS], sProp[32];
  const tc::Geom& g = p.g;
  const int K = g.fH * g.fW * g.inC;
  const int OCP = (g.outC + OCB - 1) / OCB * OCB;
  float* const Ws = smem;            // [K][OCP]: the filter, columns past outC zero (OCP % 4 == 0: float4 reads)
  float* const As = smem + K * OCP;  // [K][ROWS]: column r = row r's inputs
  // [ROWS][OCB + 1]: one pass's output tile (odd pitch: no bank conflicts); over As when there is one pass only
  const bool onePass = OCP == OCB;
  float* const Os = onePass ? As : As + K * ROWS;
  const int tid = threadIdx.x;
  for (int i = tid; i < K * OCP; i += ROWS) {
    const int k = i / OCP, c = i - k * OCP;
    Ws[i] = c < g.outC ? __ldg(p.w + k * g.outC + c) : 0.f;
  }
  const int n = p.cand ? static_cast<int>(*p.count) : g.batch * g.outH * g.outW;
  noteCandidates(p.countCopy, p.count);
  const int items = (n + ROWS - 1) / ROWS;
  for (int item = blockIdx.x; item < items; item += gridDim.x) {
    const int k0 = item * ROWS;
    const int ng = min(ROWS, n - k0);
    __syncthreads();  // Ws is written; the previous item is done with As, Os and sPix
    const bool live = tid < ng;
    int op = 0, b = 0, yc = 0, xc = 0;
    if (live) {
      op = p.cand ? p.cand[k0 + tid] : k0 + tid;
      windowOrigin(op, g.outH, g.outW, g.sH, g.sW, g.padT, g.padL, b, yc, xc);
    }
    sPix[tid] = op;
    if (p.macs) {  // in-bounds taps x inC x outC per row, as delta-cpu counts; one atomic per warp
      unsigned long long m = live ? static_cast<unsigned long long>(inBoundsTaps(yc, xc, g.fH, g.fW, g.dH, g.dW, g.inH, g.inW)) *
                                        g.inC * g.outC : 0ull;
      for (int o = 16; o; o >>= 1) m += __shfl_down_sync(0xffffffffu, m, o);
      if ((tid & 31) == 0 && m) atomicAdd(p.macs, m);
    }
    // Row tid's inputs into column tid of As, k = (kh * fW + kw) * inC + ci; zeros outside the image (fmaf(0, w,
    // acc) == acc: the same as skipping the tap, as the other kernels do).
    float* a = As + tid;
    for (int kh = 0; kh < g.fH; kh++) {
      const int iy = yc + kh * g.dH;
      const bool rowIn = live && iy >= 0 && iy < g.inH;
      for (int kw = 0; kw < g.fW; kw++) {
        const int ix = xc + kw * g.dW;
        const bool in = rowIn && ix >= 0 && ix < g.inW;
        const float* xp = p.x + (in ? ((b * g.inH + iy) * g.inW + ix) * g.inC : 0);
        int ci = 0;
        if (vec4)  // inC % 4 == 0, x 16-byte aligned: 16-byte loads
          for (; ci < g.inC; ci += 4, a += 4 * ROWS) {
            const float4 v = in ? __ldg(reinterpret_cast<const float4*>(xp + ci)) : make_float4(0.f, 0.f, 0.f, 0.f);
            a[0] = v.x; a[ROWS] = v.y; a[2 * ROWS] = v.z; a[3 * ROWS] = v.w;
          }
        for (; ci < g.inC; ci++, a += ROWS) *a = in ? __ldg(xp + ci) : 0.f;
      }
    }
    // (a thread reads back only its own column of As: no barrier before the multiply)
    for (int c0 = 0; c0 < g.outC; c0 += OCB) {
      float acc[OCB];
#pragma unroll
      for (int j = 0; j < OCB; j++) acc[j] = 0.f;
      const float* wk = Ws + c0;
      const float* ak = As + tid;
      for (int k = 0; k < K; k++, wk += OCP, ak += ROWS) {
        const float av = *ak;
#pragma unroll
        for (int j = 0; j < OCB; j += 4) {
          const float4 wv = *reinterpret_cast<const float4*>(wk + j);  // the same address in every thread: a broadcast
          acc[j] = fmaf(av, wv.x, acc[j]);
          acc[j + 1] = fmaf(av, wv.y, acc[j + 1]);
          acc[j + 2] = fmaf(av, wv.z, acc[j + 2]);
          acc[j + 3] = fmaf(av, wv.w, acc[j + 3]);
        }
      }
      const int nc = min(OCB, g.outC - c0);
      if (onePass) __syncthreads();  // every thread is done with As
#pragma unroll
      for (int j = 0; j < OCB; j++) {
        if (j < nc) {
          const int c = c0 + j;
          float v = acc[j];
          if (p.bias) v = __fadd_rn(v, __ldg(p.bias + c));
          Os[tid * (OCB + 1) + j] = activate(p.act, v, p.leaky, p.alpha ? __ldg(p.alpha + c % p.alphaSize) : 0.f);
        }
      }
      __syncthreads();
      // The item's rows are consecutive rows of e: consecutive threads store consecutive floats.
      float* er = p.e + static_cast<long long>(k0) * g.outC + c0;
      // element i = r * nc + j of the tile; (r, j) advanced without a division per element
      const int dr = ROWS / nc, dj = ROWS - dr * nc;
      int r = tid / nc, j = tid - r * nc;
      for (int i = tid; i < ng * nc; i += ROWS) {
        er[static_cast<long long>(r) * g.outC + j] = Os[r * (OCB + 1) + j];
        r += dr;
        j += dj;
        if (j >= nc) { j -= nc; r++; }
      }
      __syncthreads();  // Os is free for the next pass; every row of the item is written (truncation reads them)
    }
    if (fused)
      for (int q0 = 0; q0 < ng; q0 += 32)
        truncateRows(t.vals, p.e, k0 + q0, min(32, ng - q0), sPix + q0, g.outC, t.thr, t.list, t.listCount, t.nonFinite, sProp);
  }
}

}  // namespace

bool usable(const tc::Geom& g) {
  if (!gEnabled || g.inC < 1 || g.inC > MAX_IN_CHANNELS || g.outC < 1 || g.fH < 1 || g.fW < 1) return false;
  if (static_cast<long long>(g.fH) * g.fW * g.inC > MAX_K) return false;
  const long long rows = static_cast<long long>(g.batch) * g.outH * g.outW;
  if (rows * g.outC >= (1ll << 31) || static_cast<long long>(g.batch) * g.inH * g.inW * g.inC >= (1ll << 31)) return false;
  return shapeOf(g).bytes <= MAX_SMEM;
}

namespace {
template <int OCB>
cudaError_t launchOcb(const tc::Conv& p, const tc::Truncate& t, bool fused, bool vec4, unsigned grid, size_t bytes, cudaStream_t s) {
  static bool optedIn = false;  // > 48 KiB of shared memory in all needs the opt-in
  if (bytes > 47 * 1024 && !optedIn) {
    const cudaError_t err = cudaFuncSetAttribute(convSmallK<OCB>, cudaFuncAttributeMaxDynamicSharedMemorySize, MAX_SMEM);
    if (err != cudaSuccess) return err;
    optedIn = true;
  }
  convSmallK<OCB><<<grid, ROWS, bytes, s>>>(p, t, fused, vec4);
  return cudaGetLastError();
}
}  // namespace

cudaError_t launch(const tc::Conv& p, const tc::Truncate* t, cudaStream_t s) {
  const long long rows = static_cast<long long>(p.g.batch) * p.g.outH * p.g.outW;
  if (rows <= 0 || p.g.outC <= 0) return cudaSuccess;
  const tc::Truncate none{};
  const Shape sh = shapeOf(p.g);
  // grid-stride with about as many blocks as fit at once (each block loads the filter once)
  const long long perSm = std::min<long long>(2048 / ROWS, (228 * 1024) / (sh.bytes + 2 * 1024));
  const unsigned grid = gridFor((rows + ROWS - 1) / ROWS, 1, static_cast<unsigned>(std::max<long long>(1, perSm) * multiprocessors()));
  const size_t bytes = static_cast<size_t>(sh.bytes);
  const tc::Truncate& tr = t ? *t : none;
  const bool vec4 = p.g.inC % 4 == 0 && tc::aligned16(p.x);
  switch (sh.ocb) {
    case 8: return launchOcb<8>(p, tr, t != nullptr, vec4, grid, bytes, s);
    case 16: return launchOcb<16>(p, tr, t != nullptr, vec4, grid, bytes, s);
    case 24: return launchOcb<24>(p, tr, t != nullptr, vec4, grid, bytes, s);
    default: return launchOcb<32>(p, tr, t != nullptr, vec4, grid, bytes, s);
  }
}

void setEnabled(bool on) { gEnabled = on; }
bool enabled() { return gEnabled; }

}  // namespace smallk
}  // namespace delta_cuda
