// Sparse conv2d / depthwise conv2d: see delta_conv.cuh for the contract.
//
// compute (general conv): a block of CO = 128 threads takes a work item = (G = 16 candidate pixels, 128
// output channels); thread t owns output channel t of the chunk for the 16 pixels (16 accumulators).
// For every tap and chunk of CI input channels, the 16 pixels' input channels are staged in shared memory
// (transposed, so one float4 load feeds 4 pixels); each weight is read once per work item (coalesced over
// output channels) and used for 16 pixels. Candidates come compacted, so a block always gets 16 useful
// pixels whatever the layer's active fraction: weight traffic per useful pixel is the same as in a dense
// run of this kernel (which is this kernel with every pixel as a candidate).
// compute (depthwise): a block of 256 threads takes 8 candidates x every output channel, taps in the cpu order.
// mark: one thread per changed input pixel, visiting the output pixels whose window holds it.
// Truncation (delta step) is fused: the block that completes a group of candidates (the last of its
// output-channel chunks to finish, counted by a modulo counter per group, atomicInc) truncates the group's
// rows while they are hot in L2, updates the values in place and appends the update list: no separate
// launch, no second pass over the candidates.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include "delta_common.cuh"
#include "delta_conv.cuh"
#include "conv_tc_gemm.cuh"
#include "conv_small_k.cuh"

namespace delta_cuda {
namespace {

constexpr int G = 16;
constexpr int CO = 128;
constexpr int CI = 32;
constexpr int XS_STRIDE = G + 4;  // padded row: fewer bank conflicts on the transposed store, rows stay 16-byte aligned

__global__ void __launch_bounds__(256) convMark(ConvGeom g, ConvMarkParams m) {
  const uint32_t n = *m.count;
  const int inPlane = g.inH * g.inW;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int p = m.list[i];
    const int b = p / inPlane;
    const int r = p - b * inPlane;
    const int y = r / g.inW;
    const int x = r - y * g.inW;
    // out row oy reads y when y = oy * strideH - padT + kh * dilH (delta-cpu markForwardConv)
    for (int kh = 0; kh < g.fH; kh++) {
      const int ty = y + g.padT - kh * g.dilH;
      if (ty < 0 || ty % g.strideH != 0) continue;
      const int oy = ty / g.strideH;
      if (oy >= g.outH) continue;
      const int row = (b * g.outH + oy) * g.outW;
      for (int kw = 0; kw < g.fW; kw++) {
        const int tx = x + g.padL - kw * g.dilW;
        if (tx < 0 || tx % g.strideW != 0) continue;
        const int ox = tx / g.strideW;
        if (ox >= g.outW) continue;
        const int op = row + ox;
        if (atomicExch(&m.stamp[op], m.gen) != m.gen) appendAggregated(m.cand, m.candCount, op);
      }
    }
  }
}

// In-bounds taps of the window at (yc, xc): what delta-cpu counts (taps * inC * outC MACs per pixel).
__device__ __forceinline__ int windowTaps(const ConvGeom& g, int yc, int xc) {
  return inBoundsTaps(yc, xc, g.fH, g.fW, g.dilH, g.dilW, g.inH, g.inW);
}

// Candidates per work item: the largest power of two <= gmax that still gives `target` work items (enough
// blocks to fill the GPU); smaller items only when there are few candidates.
__device__ __forceinline__ int groupSize(long long n, int chunks, int gmax, int target) {
  int ge = gmax;
  while (ge > 1 && (n + ge - 1) / ge * chunks < target) ge >>= 1;
  return ge;
}

// Candidates from which the tiled GEMM (convGemm, launched beside convCompute) takes a step: below, this
// kernel's small work items keep every multiprocessor busy; above, weight reuse decides.
constexpr long long GEMM_MIN = 2048;

__global__ void __launch_bounds__(CO) convCompute(ConvGeom g, ConvComputeParams p, ConvTruncateParams t, bool fused, int target,
                                                  bool gemmLaunched) {
  __shared__ __align__(16) float xs[CI][XS_STRIDE];
  __shared__ int sB[G], sY[G], sX[G], sOk[G], sP[G], sProp[G];
  __shared__ bool sLast;
  const int outPlane = g.outH * g.outW;
  const long long P = static_cast<long long>(g.batch) * outPlane;
  const long long n = p.cand ? static_cast<long long>(*p.count) : P;
  noteCandidates(p.countCopy, p.count);
  if (gemmLaunched && n >= GEMM_MIN) return;  // convGemm's step
  const int coChunks = (g.outC + CO - 1) / CO;
  // Few candidates: fewer per work item (down to 1) so that every launched block gets work (latency, not
  // weight reuse, decides then); the same for every block, as n is.
  const int ge = groupSize(n, coChunks, G, target);
  const long long items = (n + ge - 1) / ge * coChunks;
  const int tid = threadIdx.x;
  for (long long item = blockIdx.x; item < items; item += gridDim.x) {
    const long long grp = item / coChunks;
    const int cc = static_cast<int>(item - grp * coChunks);
    const long long k0 = grp * ge;
    const int ng = static_cast<int>(min(static_cast<long long>(ge), n - k0));
    __syncthreads();  // the previous item is done with sB.. and xs
    if (tid < G) {
      int b = 0, yc = 0, xc = 0;
      if (tid < ng) {
        const int op = p.cand ? p.cand[k0 + tid] : static_cast<int>(k0 + tid);
        windowOrigin(op, g.outH, g.outW, g.strideH, g.strideW, g.padT, g.padL, b, yc, xc);
        if (cc == 0 && p.macs)
          atomicAdd(p.macs, static_cast<unsigned long long>(windowTaps(g, yc, xc)) * g.inC * g.outC);
      }
      sB[tid] = b; sY[tid] = yc; sX[tid] = xc; sOk[tid] = tid < ng;
      if (tid < ng) sP[tid] = p.cand ? p.cand[k0 + tid] : static_cast<int>(k0 + tid);
    }
    __syncthreads();
    const int co = cc * CO + tid;
    float acc[G];
#pragma unroll
    for (int q = 0; q < G; q++) acc[q] = 0.f;
    for (int kh = 0; kh < g.fH; kh++) {
      for (int kw = 0; kw < g.fW; kw++) {
        for (int ci0 = 0; ci0 < g.inC; ci0 += CI) {
          const int cn = min(CI, g.inC - ci0);
          // Out-of-bounds taps stage zeros: fmaf(0, w, acc) == acc, the same as skipping the tap.
          for (int e = tid; e < G * CI; e += CO) {
            const int q = e / CI, ci = e - q * CI;
            float v = 0.f;
            if (sOk[q] && ci < cn) {
              const int iy = sY[q] + kh * g.dilH, ix = sX[q] + kw * g.dilW;
              if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
                v = p.x[((static_cast<long long>(sB[q]) * g.inH + iy) * g.inW + ix) * g.inC + ci0 + ci];
            }
            xs[ci][q] = v;
          }
          __syncthreads();
          if (co < g.outC) {
            const float* wp = p.w + (static_cast<long long>(kh * g.fW + kw) * g.inC + ci0) * g.outC + co;
#pragma unroll 4
            for (int ci = 0; ci < cn; ci++) {
              const float wv = __ldg(wp + static_cast<long long>(ci) * g.outC);
              const float4* xv = reinterpret_cast<const float4*>(xs[ci]);
#pragma unroll
              for (int q = 0; q < G / 4; q++) {
                const float4 v = xv[q];
                acc[4 * q] = fmaf(v.x, wv, acc[4 * q]);
                acc[4 * q + 1] = fmaf(v.y, wv, acc[4 * q + 1]);
                acc[4 * q + 2] = fmaf(v.z, wv, acc[4 * q + 2]);
                acc[4 * q + 3] = fmaf(v.w, wv, acc[4 * q + 3]);
              }
            }
          }
          __syncthreads();
        }
      }
    }
    if (co < g.outC) {
      const float bv = p.bias ? p.bias[co] : 0.f;
      const float av = p.alpha ? p.alpha[co] : 0.f;
#pragma unroll
      for (int q = 0; q < G; q++) {
        if (q < ng) {
          float v = acc[q];
          if (p.bias) v = __fadd_rn(v, bv);
          p.e[(k0 + q) * g.outC + co] = activate(p.act, v, p.leaky, av);
        }
      }
    }
    // the last chunk of this group to finish truncates it
    if (fused && completesGroup(t.groups, grp, coChunks, sLast))
      truncateRows(t.vals, p.e, k0, ng, sP, g.outC, t.thr, t.list, t.listCount, t.nonFinite, sProp);
  }
}

// convGemm: the same values as convCompute (each output sums its taps x input channels in the same order,
// fmaf, zeros for padding), as a tiled GEMM over compacted candidates: a 256-thread block computes a tile of
// GM = 64 candidates x GN = 64 output channels, K = fH*fW*inC in slices of GK = 16 (rows gathered from the
// input on the fly: im2col of the candidates), each thread a 4 x 4 sub-tile in registers; weights and inputs
// staged in shared memory (each weight used for 64 candidates, each input for 64 channels). Then bias,
// activation and, on a delta step, the fused truncation (last tile of a candidate group, as convCompute).
constexpr int GM = 64, GN = 64, GK = 16, GT = 256;
constexpr int AS_STRIDE = GM + 4;  // padded: fewer bank conflicts on the transposed store, rows 16-byte aligned

__global__ void __launch_bounds__(GT) convGemm(ConvGeom g, ConvComputeParams p, ConvTruncateParams t, bool fused) {
  __shared__ __align__(16) float As[GK][AS_STRIDE];
  __shared__ __align__(16) float Bs[GK][GN];
  __shared__ int sB[GM], sY[GM], sX[GM], sP[GM], sProp[GM];
  __shared__ bool sLast;
  const int outPlane = g.outH * g.outW;
  const long long P = static_cast<long long>(g.batch) * outPlane;
  const long long n = p.cand ? static_cast<long long>(*p.count) : P;
  if (n < GEMM_MIN) return;  // convCompute's step (which notes the count)
  const int nTiles = (g.outC + GN - 1) / GN;
  const long long items = (n + GM - 1) / GM * nTiles;
  const int K = g.fH * g.fW * g.inC;
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  for (long long item = blockIdx.x; item < items; item += gridDim.x) {
    const long long grp = item / nTiles;
    const int nt = static_cast<int>(item - grp * nTiles);
    const long long k0 = grp * GM;
    const int ng = static_cast<int>(min(static_cast<long long>(GM), n - k0));
    __syncthreads();  // the previous item is done with the shared arrays
    if (tid < GM) {
      int b = 0, yc = 0, xc = 0, op = 0;
      if (tid < ng) {
        op = p.cand ? p.cand[k0 + tid] : static_cast<int>(k0 + tid);
        windowOrigin(op, g.outH, g.outW, g.strideH, g.strideW, g.padT, g.padL, b, yc, xc);
        if (nt == 0 && p.macs)
          atomicAdd(p.macs, static_cast<unsigned long long>(windowTaps(g, yc, xc)) * g.inC * g.outC);
      }
      sB[tid] = b; sY[tid] = yc; sX[tid] = xc; sP[tid] = op;
    }
    __syncthreads();
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
      for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    for (int kb = 0; kb < K; kb += GK) {
#pragma unroll
      for (int q = 0; q < (GM * GK) / GT; q++) {
        const int e = tid + q * GT;
        const int r = e >> 4, kk = e & (GK - 1);  // 16 consecutive threads: 16 consecutive k of one candidate
        const int k = kb + kk;
        float v = 0.f;
        if (r < ng && k < K) {
          const int tap = k / g.inC, ci = k - tap * g.inC;
          const int kh = tap / g.fW, kw = tap - kh * g.fW;
          const int iy = sY[r] + kh * g.dilH, ix = sX[r] + kw * g.dilW;
          if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW)
            v = p.x[((static_cast<long long>(sB[r]) * g.inH + iy) * g.inW + ix) * g.inC + ci];
        }
        As[kk][r] = v;
      }
#pragma unroll
      for (int q = 0; q < (GK * GN) / GT; q++) {
        const int e = tid + q * GT;
        const int kk = e >> 6, c = e & (GN - 1);
        const int k = kb + kk, col = nt * GN + c;
        Bs[kk][c] = (k < K && col < g.outC) ? __ldg(p.w + static_cast<long long>(k) * g.outC + col) : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < GK; kk++) {
        const float4 a = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
        const float4 w = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
        const float av[4] = {a.x, a.y, a.z, a.w}, wv[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
          for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], wv[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
      const int r = ty * 4 + i;
      if (r >= ng) continue;
#pragma unroll
      for (int j = 0; j < 4; j++) {
        const int col = nt * GN + tx * 4 + j;
        if (col >= g.outC) continue;
        float v = acc[i][j];
        if (p.bias) v = __fadd_rn(v, p.bias[col]);
        p.e[(k0 + r) * g.outC + col] = activate(p.act, v, p.leaky, p.alpha ? p.alpha[col] : 0.f);
      }
    }
    if (fused && completesGroup(t.groups, grp, nTiles, sLast))
      truncateRows(t.vals, p.e, k0, ng, sP, g.outC, t.thr, t.list, t.listCount, t.nonFinite, sProp);
  }
}

constexpr int DW_G = 32;       // most candidates per depthwise work item
constexpr int DW_THREADS = 256;
constexpr int DW_GPT = 4;      // value groups a thread keeps in registers (register truncation)

// One value group of a depthwise output: channels c..c+3 (vec4) of the candidate whose window starts at (yc, xc) of
// batch plane xb (already offset to channel 0), taps in the cpu order, out-of-bounds taps skipped; then bias and the
// activation. 3x3 windows load all taps first (predicated, no branch between the loads: 9 loads in flight), larger
// ones loop. Same fmaf sequence either way, so the same values as the dense run.
__device__ __forceinline__ float4 depthwiseValue4(const ConvGeom& g, const ConvComputeParams& p, const float* xb, int yc, int xc, int c) {
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
  auto tap = [&](const float4& xv, const float4& wv) {
    acc.x = fmaf(xv.x, wv.x, acc.x);
    acc.y = fmaf(xv.y, wv.y, acc.y);
    acc.z = fmaf(xv.z, wv.z, acc.z);
    acc.w = fmaf(xv.w, wv.w, acc.w);
  };
  if (g.fH == 3 && g.fW == 3) {
    float4 xv[9];
    bool ok[9];
#pragma unroll
    for (int t = 0; t < 9; t++) {
      const int iy = yc + (t / 3) * g.dilH, ix = xc + (t % 3) * g.dilW;
      ok[t] = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
      xv[t] = ok[t] ? *reinterpret_cast<const float4*>(xb + (static_cast<long long>(iy) * g.inW + ix) * g.inC)
                    : make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int t = 0; t < 9; t++) {
      const float4 wv = __ldg(reinterpret_cast<const float4*>(p.w + t * g.outC + c));
      if (ok[t]) tap(xv[t], wv);
    }
  } else {
    for (int kh = 0; kh < g.fH; kh++) {
      const int iy = yc + kh * g.dilH;
      if (iy < 0 || iy >= g.inH) continue;
      for (int kw = 0; kw < g.fW; kw++) {
        const int ix = xc + kw * g.dilW;
        if (ix < 0 || ix >= g.inW) continue;
        tap(*reinterpret_cast<const float4*>(xb + (static_cast<long long>(iy) * g.inW + ix) * g.inC),
            __ldg(reinterpret_cast<const float4*>(p.w + (kh * g.fW + kw) * g.outC + c)));
      }
    }
  }
  float r[4] = {acc.x, acc.y, acc.z, acc.w};
#pragma unroll
  for (int j = 0; j < 4; j++) {
    if (p.bias) r[j] = __fadd_rn(r[j], p.bias[c + j]);
    r[j] = activate(p.act, r[j], p.leaky, p.alpha ? p.alpha[c + j] : 0.f);
  }
  return make_float4(r[0], r[1], r[2], r[3]);
}

// The scalar form (any multiplier, any channel count): output channel o reads input channel o / mult.
__device__ __forceinline__ float depthwiseValue1(const ConvGeom& g, const ConvComputeParams& p, const float* xb, int yc, int xc, int o) {
  float acc = 0.f;
  for (int kh = 0; kh < g.fH; kh++) {
    const int iy = yc + kh * g.dilH;
    if (iy < 0 || iy >= g.inH) continue;
    for (int kw = 0; kw < g.fW; kw++) {
      const int ix = xc + kw * g.dilW;
      if (ix < 0 || ix >= g.inW) continue;
      acc = fmaf(xb[(static_cast<long long>(iy) * g.inW + ix) * g.inC], __ldg(p.w + (kh * g.fW + kw) * g.outC + o), acc);
    }
  }
  if (p.bias) acc = __fadd_rn(acc, p.bias[o]);
  return activate(p.act, acc, p.leaky, p.alpha ? p.alpha[o] : 0.f);
}

// vec4: multiplier 1, channels % 4 == 0, 16-byte aligned buffers: a thread computes 4 channels with float4
// loads (each channel's taps in the same order: the same values as the scalar path).
// A work item is up to DW_G candidates x every channel. Delta steps whose item fits the block's registers (at most
// DW_GPT value groups per thread: channels <= 4096 with vec4, <= 1024 without) truncate from registers: each thread
// compares its values with the propagated ones, the row's verdict gathers in shared memory, and changed rows are written
// into vals directly (no pass through e: the step costs about a dense pass over its candidates plus one read of their
// old values). Items of several candidates per block (run 32 had 2 of 512 channels, latency-bound) and 3x3 taps
// loaded together keep the loads in flight.
__global__ void __launch_bounds__(DW_THREADS) depthwiseCompute(ConvGeom g, ConvComputeParams p, ConvTruncateParams t, bool fused, int target,
                                                               bool vec4) {
  __shared__ int sB[DW_G], sY[DW_G], sX[DW_G], sP[DW_G], sProp[DW_G];
  const int outPlane = g.outH * g.outW;
  const long long P = static_cast<long long>(g.batch) * outPlane;
  const long long n = p.cand ? static_cast<long long>(*p.count) : P;
  noteCandidates(p.countCopy, p.count);
  const int perPixel = vec4 ? g.outC / 4 : g.outC;  // value groups per candidate
  // up to DW_GPT groups per thread, fewer candidates per item when that leaves blocks idle
  const int ge = groupSize(n, 1, max(1, min(DW_G, DW_GPT * DW_THREADS / perPixel)), target);
  const long long items = (n + ge - 1) / ge;
  const int mult = g.outC / g.inC;
  const int tid = threadIdx.x;
  for (long long item = blockIdx.x; item < items; item += gridDim.x) {
    const long long k0 = item * ge;
    const int ng = static_cast<int>(min(static_cast<long long>(ge), n - k0));
    __syncthreads();
    if (tid < ng) {
      const int op = p.cand ? p.cand[k0 + tid] : static_cast<int>(k0 + tid);
      sP[tid] = op;
      sProp[tid] = 0;
      windowOrigin(op, g.outH, g.outW, g.strideH, g.strideW, g.padT, g.padL, sB[tid], sY[tid], sX[tid]);
      if (p.macs) atomicAdd(p.macs, static_cast<unsigned long long>(windowTaps(g, sY[tid], sX[tid])) * g.outC);
    }
    __syncthreads();
    const int groups = ng * perPixel;
    const long long planeSize = static_cast<long long>(g.inH) * g.inW * g.inC;
    if (fused && groups <= DW_GPT * DW_THREADS) {
      // register truncation (see above): this thread's value groups, kept for the write-back
      float4 hv[DW_GPT];
#pragma unroll
      for (int j = 0; j < DW_GPT; j++) {
        const int e = tid + j * DW_THREADS;
        if (e >= groups) break;
        const int q = e / perPixel;
        const int c = (e - q * perPixel) * (vec4 ? 4 : 1);
        const long long at = static_cast<long long>(sP[q]) * g.outC + c;
        int f = 0;
        if (vec4) {
          hv[j] = depthwiseValue4(g, p, p.x + sB[q] * planeSize + c, sY[q], sX[q], c);
          const float4 old = *reinterpret_cast<const float4*>(t.vals + at);
          const float r[4] = {hv[j].x, hv[j].y, hv[j].z, hv[j].w}, o[4] = {old.x, old.y, old.z, old.w};
#pragma unroll
          for (int k = 0; k < 4; k++) {
            if (!isfinite(r[k])) f |= ROW_CHANGED | ROW_NONFINITE;
            else if (valueChanged(r[k], o[k], t.thr)) f |= ROW_CHANGED;
          }
        } else {
          hv[j].x = depthwiseValue1(g, p, p.x + sB[q] * planeSize + c / mult, sY[q], sX[q], c);
          f = !isfinite(hv[j].x) ? ROW_CHANGED | ROW_NONFINITE : valueChanged(hv[j].x, t.vals[at], t.thr) ? ROW_CHANGED : 0;
        }
        if (f) atomicOr(&sProp[q], f);
      }
      __syncthreads();  // every value of the item compared: the rows' verdicts are final
#pragma unroll
      for (int j = 0; j < DW_GPT; j++) {
        const int e = tid + j * DW_THREADS;
        if (e >= groups) break;
        const int q = e / perPixel;
        if (!(sProp[q] & ROW_CHANGED)) continue;
        const int c = (e - q * perPixel) * (vec4 ? 4 : 1);
        float* v = t.vals + static_cast<long long>(sP[q]) * g.outC + c;
        if (vec4) *reinterpret_cast<float4*>(v) = hv[j];
        else *v = hv[j].x;
      }
      appendFlaggedRows(sProp, sP, ng, t.list, t.listCount, t.nonFinite);
    } else {
      for (int e = tid; e < groups; e += DW_THREADS) {
        const int q = e / perPixel;
        const int c = (e - q * perPixel) * (vec4 ? 4 : 1);
        float* dst = p.e + (k0 + q) * g.outC + c;
        if (vec4) *reinterpret_cast<float4*>(dst) = depthwiseValue4(g, p, p.x + sB[q] * planeSize + c, sY[q], sX[q], c);
        else *dst = depthwiseValue1(g, p, p.x + sB[q] * planeSize + c / mult, sY[q], sX[q], c);
      }
      if (fused) {
        __syncthreads();  // the block wrote every channel of its rows
        truncateRows(t.vals, p.e, k0, ng, sP, g.outC, t.thr, t.list, t.listCount, t.nonFinite, sProp);
      }
    }
  }
}

// Row segments (3x3 depthwise, multiplier 1, channels % 4 == 0, stride S and dilation D in both axes): the candidates
// are taken as segments of SEG consecutive output pixels of a row, and a thread computes 4 channels of a whole segment
// the way the dense kernel (dense_conv.cu depthwise3x3Vec4Rows) does, so each input float4 of a filter row is loaded
// once for the (up to 3) outputs that read it: (SEG - 1) * S + 2 * D + 1 loads per filter row instead of 3 * SEG.
// Per-candidate items gather 9 taps per output and ran at ~4x the dense kernel's time per pixel (L2-bound, runs 30-33).
// A segment is handled by its leader, the candidate of the segment with the smallest column (this step's mark stamps
// say which pixels are candidates); other candidates leave at once. Only candidate pixels are compared, written and
// counted (the rest of the segment's values are computed and dropped), so the step is delta-cpu's per pixel, and each
// value is the dense kernel's (same taps, same order, same fmaf). Truncation from registers as in depthwiseCompute.
constexpr int SEG = 4;         // output pixels per segment (the dense kernel's outputs per thread)
constexpr int SEG_CHUNK = 32;  // candidates a block examines at a time (one warp's leader test)
constexpr int SEG_MAX_GROUPS = 32;  // float4 groups per pixel (128 channels) up to which the host picks segments

template <int S, int D>
__global__ void __launch_bounds__(DW_THREADS) depthwiseSegments(ConvGeom g, ConvComputeParams p, ConvTruncateParams t) {
  constexpr int SPAN = (SEG - 1) * S + 2 * D + 1;
  __shared__ int sSeg[SEG_CHUNK], sMask[SEG_CHUNK];  // leaders: the segment's first pixel, its candidate pixels (bits)
  __shared__ int sPix[SEG_CHUNK * SEG], sFlag[SEG_CHUNK * SEG];
  __shared__ int sNum;
  const int n = static_cast<int>(*p.count);
  noteCandidates(p.countCopy, p.count);
  const int C4 = g.outC / 4;
  const int spi = min(SEG_CHUNK, DW_THREADS / C4);  // segments computed together (C4 <= DW_THREADS: host)
  const int tid = threadIdx.x, lane = tid & 31;
  const float4* x4 = reinterpret_cast<const float4*>(p.x);
  const float4* w4 = reinterpret_cast<const float4*>(p.w);
  for (int base = blockIdx.x * SEG_CHUNK; base < n; base += gridDim.x * SEG_CHUNK) {
    __syncthreads();  // the previous chunk is done with the shared arrays
    if (tid < 32) {
      const int k = base + lane;
      int seg = 0, mask = 0;
      if (k < n) {
        const int op = p.cand[k];
        const int row = op / g.outW, ox = op - row * g.outW, sx = ox - ox % SEG;
        const uint32_t* st = p.stamp + static_cast<long long>(row) * g.outW;
        bool lead = true;
        for (int x = sx; x < ox; x++) lead = lead && st[x] != p.gen;
        if (lead) {
          seg = row * g.outW + sx;
#pragma unroll
          for (int j = 0; j < SEG; j++)
            if (sx + j < g.outW && (sx + j == ox || st[sx + j] == p.gen)) mask |= 1 << j;
          if (p.macs) {
            const int oy = row % g.outH;
            unsigned long long m = 0;
            for (int j = 0; j < SEG; j++)
              if (mask >> j & 1) m += windowTaps(g, oy * S - g.padT, (sx + j) * S - g.padL);
            atomicAdd(p.macs, m * g.outC);
          }
        }
      }
      const unsigned lead = __ballot_sync(0xffffffffu, mask != 0);
      if (mask) {
        const int q = __popc(lead & ((1u << lane) - 1u));
        sSeg[q] = seg;
        sMask[q] = mask;
      }
      if (lane == 0) sNum = __popc(lead);
    }
    __syncthreads();
    const int num = sNum;
    for (int s0 = 0; s0 < num; s0 += spi) {
      const int ns = min(spi, num - s0);
      if (tid < ns * SEG) {
        const int q = s0 + tid / SEG, j = tid % SEG;
        sFlag[tid] = 0;
        sPix[tid] = sSeg[q] + j;  // appended only when flagged (never for pixels outside the mask)
      }
      __syncthreads();
      const int si = tid / C4, c4 = tid - si * C4;
      const bool active = si < ns;
      int mask = 0, px = 0;
      float4 acc[SEG];
      if (active) {
        mask = sMask[s0 + si];
        px = sSeg[s0 + si];
        const int row = px / g.outW, ox0 = px - row * g.outW;
        const int b = row / g.outH, oh = row - b * g.outH;
        const int ih0 = oh * S - g.padT, iw0 = ox0 * S - g.padL;
#pragma unroll
        for (int j = 0; j < SEG; j++) acc[j] = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
        for (int kh = 0; kh < 3; kh++) {
          const int ih = ih0 + kh * D;
          if (ih < 0 || ih >= g.inH) continue;
          const float4* xr = x4 + (static_cast<long long>(b) * g.inH + ih) * g.inW * C4 + c4;
          float4 xv[SPAN];
#pragma unroll
          for (int q = 0; q < SPAN; q++) {
            const int iw = iw0 + q;
            xv[q] = iw >= 0 && iw < g.inW ? xr[static_cast<long long>(iw) * C4] : make_float4(0.f, 0.f, 0.f, 0.f);
          }
#pragma unroll
          for (int kw = 0; kw < 3; kw++) {
            const float4 wv = __ldg(w4 + (kh * 3 + kw) * C4 + c4);
#pragma unroll
            for (int j = 0; j < SEG; j++) {
              const int q = j * S + kw * D, iw = iw0 + q;
              if (iw < 0 || iw >= g.inW) continue;  // skipped, as the cpu does
              acc[j].x = fmaf(xv[q].x, wv.x, acc[j].x);
              acc[j].y = fmaf(xv[q].y, wv.y, acc[j].y);
              acc[j].z = fmaf(xv[q].z, wv.z, acc[j].z);
              acc[j].w = fmaf(xv[q].w, wv.w, acc[j].w);
            }
          }
        }
        const int c = c4 * 4;
#pragma unroll
        for (int j = 0; j < SEG; j++) {
          if (!(mask >> j & 1)) continue;
          float r[4] = {acc[j].x, acc[j].y, acc[j].z, acc[j].w};
          const float4 old = *reinterpret_cast<const float4*>(t.vals + static_cast<long long>(px + j) * g.outC + c);
          const float o[4] = {old.x, old.y, old.z, old.w};
          int f = 0;
#pragma unroll
          for (int k = 0; k < 4; k++) {
            if (p.bias) r[k] = __fadd_rn(r[k], p.bias[c + k]);
            r[k] = activate(p.act, r[k], p.leaky, p.alpha ? p.alpha[c + k] : 0.f);
            if (!isfinite(r[k])) f |= ROW_CHANGED | ROW_NONFINITE;
            else if (valueChanged(r[k], o[k], t.thr)) f |= ROW_CHANGED;
          }
          acc[j] = make_float4(r[0], r[1], r[2], r[3]);
          if (f) atomicOr(&sFlag[si * SEG + j], f);
        }
      }
      __syncthreads();  // every channel of the segments compared: the pixels' verdicts are final
      if (active) {
#pragma unroll
        for (int j = 0; j < SEG; j++)
          if ((mask >> j & 1) && (sFlag[si * SEG + j] & ROW_CHANGED))
            *reinterpret_cast<float4*>(t.vals + static_cast<long long>(px + j) * g.outC + c4 * 4) = acc[j];
      }
      appendFlaggedRows(sFlag, sPix, ns * SEG, t.list, t.listCount, t.nonFinite);
      __syncthreads();  // sFlag, sPix are reused
    }
  }
}

// DELTA_CUDA_DW_SEGMENTS=0 keeps every depthwise delta step on per-candidate items (an A/B switch for benchmarks).
bool depthwiseSegmentsOn() {
  static const bool on = [] {
    const char* v = std::getenv("DELTA_CUDA_DW_SEGMENTS");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

}  // namespace

cudaError_t launchConvMark(const ConvGeom& g, const ConvMarkParams& p, cudaStream_t stream) {
  const long long inPixels = static_cast<long long>(g.batch) * g.inH * g.inW;
  if (inPixels <= 0) return cudaSuccess;
  convMark<<<gridFor(inPixels, 256, 2048), 256, 0, stream>>>(g, p);
  return cudaGetLastError();
}

cudaError_t launchConvCompute(const ConvGeom& g, const ConvComputeParams& p, const ConvTruncateParams* t, cudaStream_t stream) {
  const long long P = static_cast<long long>(g.batch) * g.outH * g.outW;
  if (P <= 0 || g.outC <= 0) return cudaSuccess;
  const ConvTruncateParams none{};
  // work items that fill the GPU: a few blocks per multiprocessor
  const int sms = multiprocessors();
  const tc::Geom tcGeom{g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.fH, g.fW, g.strideH, g.strideW, g.dilH, g.dilW, g.padT, g.padL};
  if (g.depthwise) {
    const auto aligned = [](const void* q) { return (reinterpret_cast<uintptr_t>(q) & 15) == 0; };
    const bool vec4 = g.outC == g.inC && g.outC % 4 == 0 && aligned(p.x) && aligned(p.w) && aligned(p.e);
    const int perPixel = vec4 ? g.outC / 4 : g.outC;
    // a delta step with this step's stamps: row segments where they measured faster (run 35, posenet on pose_1 at 32
    // streams: stride 1 with <= 128 channels 173 -> 108 and 96 -> 80 us; stride 2, and 256-512 channels (2-4 segments
    // per block round, three barriers each), were slower than the items: 40 -> 47, 58 -> 77, 50-75 -> 107-118 us)
    if (t && p.stamp && depthwiseSegmentsOn() && vec4 && aligned(t->vals) && g.fH == 3 && g.fW == 3 && g.strideH == 1 &&
        g.strideW == 1 && g.dilH == g.dilW && perPixel <= SEG_MAX_GROUPS) {
      const unsigned grid = gridFor(P, SEG_CHUNK, static_cast<unsigned>(16 * sms));
      if (g.dilH == 1) { depthwiseSegments<1, 1><<<grid, DW_THREADS, 0, stream>>>(g, p, *t); return cudaGetLastError(); }
      if (g.dilH == 2) { depthwiseSegments<1, 2><<<grid, DW_THREADS, 0, stream>>>(g, p, *t); return cudaGetLastError(); }
    }
    depthwiseCompute<<<gridFor(P, max(1, min(DW_G, DW_GPT * DW_THREADS / perPixel)), 8192), DW_THREADS, 0, stream>>>(
        g, p, t ? *t : none, t != nullptr, 4 * sms, vec4);
  } else if (const bool smallK = smallk::usable(tcGeom);
             smallK || (convPrecisionSetting() != 0 && tensorCoreConvAvailable() && tc::usable(tcGeom, p.x, p.w, p.e, true))) {
    // Few input channels (the first layer): conv_small_k.cu, which the dense conv also takes for such a layer,
    // in float32 whatever the precision setting. Else tensor cores (the backend's conv precision): the same
    // kernel and k order as the dense conv's. Either way a candidate recomputed from unchanged inputs gets the
    // dense run's value bit for bit.
    tc::Conv c{};
    c.g = tcGeom;
    c.x = p.x;
    c.w = p.w;
    c.bias = p.bias;
    c.alpha = p.alpha;
    c.alphaSize = g.outC;
    c.act = p.act;
    c.leaky = p.leaky;
    c.cand = p.cand;
    c.count = p.count;
    c.countCopy = p.countCopy;
    c.e = p.e;
    c.macs = p.macs;
    tc::Truncate tt{};
    if (t) tt = tc::Truncate{t->vals, t->thr, t->list, t->listCount, t->nonFinite, t->groups};
    if (smallK) return smallk::launch(c, t ? &tt : nullptr, stream);
    return tc::launch(c, t ? &tt : nullptr, tc::operandsOf(convPrecisionSetting()), stream);
  } else {
    // both launched; each reads the candidate count on the device and only one of them works
    const bool gemm = P >= GEMM_MIN;
    const long long items = (P + G - 1) / G * ((g.outC + CO - 1) / CO);
    convCompute<<<gridFor(min(items, GEMM_MIN * 2), 1, 4096), CO, 0, stream>>>(g, p, t ? *t : none, t != nullptr, 2 * sms, gemm);
    if (gemm) {
      const long long tiles = (P + GM - 1) / GM * ((g.outC + GN - 1) / GN);
      convGemm<<<gridFor(tiles, 1, 8 * sms), GT, 0, stream>>>(g, p, t ? *t : none, t != nullptr);
    }
  }
  return cudaGetLastError();
}

}  // namespace delta_cuda
