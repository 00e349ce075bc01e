// Shared pieces of the delta-cuda sparse kernels (delta_conv, delta_pointwise, delta_truncate).
//
// One delta step of a slot (src/cuda/plane.ts) is a fixed sequence of launches on the runtime's stream;
// the host never reads a count back in between:
//   1. sparsify  (sparsify.cu)          inputs without an update: diff against the slot's baseline,
//                                       compact list of changed input pixels, count in the step's counters;
//   2. mark      (delta_conv / _pointwise) every changed input pixel marks the output pixels that read it
//                                       (receptive field), once per step thanks to generation stamps, into a
//                                       compact candidate list;
//   3. compute                          exact values of the candidates (recompute from the dense inputs,
//                                       fused bias + activation), into a compact scratch E[k, c];
//   4. truncate  (delta_truncate)       per candidate: propagate when max_c |E - propagated| > thr (or a
//                                       value is not finite): update the slot's values in place, append the
//                                       pixel to the output update's list.
// Launches are sized for the worst case (all pixels) but capped, and every kernel loops grid-stride up
// to the count it reads on the device: an empty step costs the fixed launch overhead, never a dense pass.
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

// Counter words of one step: a 64-byte entry of the plane's counter ring (zeroed before use).
namespace counters {
constexpr int CAND = 0;        // candidate output pixels (mark)
constexpr int OUT = 1;         // propagated output pixels (truncate): the update's count
constexpr int MACS = 2;        // uint64 at words 2-3: multiply-accumulates performed (compute)
constexpr int NONFINITE = 4;   // nonzero: a NaN/Inf was computed (truncate)
constexpr int IN0 = 5;         // words 5..15: changed pixels of input i (sparsify)
constexpr int WORDS = 16;
constexpr int MAX_INPUTS = WORDS - IN0;
}  // namespace counters

// Fused activations (same numbering as src/cuda/delta/common.ts ACTIVATION).
enum Activation : int32_t {
  ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKYRELU = 3, ACT_PRELU = 4, ACT_ELU = 5, ACT_SIGMOID = 6,
  ACT_TANH = 7,
};

#ifdef __CUDACC__
// tfjs-backend-cpu's expressions; the transcendental ones in double and rounded once to float32 as the
// JS reference stores them (Math.exp/tanh are not correctly rounded either: exact mode is within float
// tolerance there, bit-equal for the piecewise-linear ones).
__device__ __forceinline__ float activate(int act, float x, double leaky, float alpha) {
  switch (act) {
    case ACT_RELU: return x > 0.f ? x : (x == x ? 0.f : x);
    case ACT_RELU6: return x != x ? x : fminf(fmaxf(x, 0.f), 6.f);
    case ACT_LEAKYRELU: return x < 0.f ? static_cast<float>(leaky * static_cast<double>(x)) : x;
    case ACT_PRELU: return x < 0.f ? alpha * x : x;
    case ACT_ELU: return x >= 0.f ? x : static_cast<float>(exp(static_cast<double>(x)) - 1.0);
    case ACT_SIGMOID: return static_cast<float>(1.0 / (1.0 + exp(-static_cast<double>(x))));
    case ACT_TANH: return static_cast<float>(tanh(static_cast<double>(x)));
    default: return x;
  }
}

// Output pixel op (b*outH + oy)*outW + ox -> its batch b and the input position (yc, xc) of its window's first tap.
__device__ __forceinline__ void windowOrigin(int op, int outH, int outW, int strideH, int strideW, int padT, int padL,
                                             int& b, int& yc, int& xc) {
  const int outPlane = outH * outW;
  b = op / outPlane;
  const int r = op - b * outPlane;
  const int oy = r / outW;
  yc = oy * strideH - padT;
  xc = (r - oy * outW) * strideW - padL;
}

// Taps of an fH x fW window (dilation dilH, dilW) at input position (yc, xc) that fall inside the inH x inW
// input: what delta-cpu counts as MACs per input and output channel of a conv output pixel.
__device__ __forceinline__ int inBoundsTaps(int yc, int xc, int fH, int fW, int dilH, int dilW, int inH, int inW) {
  int th = 0, tw = 0;
  for (int kh = 0; kh < fH; kh++) {
    const int iy = yc + kh * dilH;
    th += iy >= 0 && iy < inH;
  }
  for (int kw = 0; kw < fW; kw++) {
    const int ix = xc + kw * dilW;
    tw += ix >= 0 && ix < inW;
  }
  return th * tw;
}

// list[*count++] = v for every thread of the warp that calls it (the ones active together): one atomicAdd
// per warp instead of one per element (same-address atomics serialize in L2).
__device__ __forceinline__ void appendAggregated(int32_t* list, uint32_t* count, int32_t v) {
  const unsigned mask = __activemask();
  const int lane = threadIdx.x & 31;
  const int leader = __ffs(mask) - 1;
  uint32_t base = 0;
  if (lane == leader) base = atomicAdd(count, static_cast<uint32_t>(__popc(mask)));
  base = __shfl_sync(mask, base, leader);
  list[base + __popc(mask & ((1u << lane) - 1u))] = v;
}

// The fused truncation's hand-off: every block that completed its share (output-channel chunk) of candidate group
// grp calls this, all threads; true in the block that completed the group's last share: the group's rows are all
// written and visible then (fence, count, fence), and that block truncates them.
__device__ __forceinline__ bool completesGroup(uint32_t* groups, long long grp, int shares, bool& sLast) {
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) sLast = atomicInc(&groups[grp], static_cast<unsigned>(shares - 1)) == static_cast<unsigned>(shares - 1);
  __syncthreads();
  if (sLast) __threadfence();
  return sLast;
}

// The truncation rule for one value: exact value e against the propagated v, compared in double as delta-cpu does.
__device__ __forceinline__ bool valueChanged(float e, float v, double thr) {
  return !(fabs(static_cast<double>(e) - static_cast<double>(v)) <= thr);
}

// A mark-free step (a 1x1 conv with stride 1 and no padding: its input's update list is its candidate list) reads
// the candidates' count from the input's word; block 0 records it as the step's CAND word (stats, the cost model).
__device__ __forceinline__ void noteCandidates(uint32_t* copy, const uint32_t* count) {
  if (copy && blockIdx.x == 0 && threadIdx.x == 0) *copy = *count;
}

// Row flags of a register-held truncation: bit ROW_CHANGED = propagate the row (a value changed by more than the
// threshold, or is not finite), bit ROW_NONFINITE = a value is NaN/Inf.
constexpr int ROW_CHANGED = 1, ROW_NONFINITE = 2;

// After a barrier, every thread of the block: warp 0 appends the pixels pix[q] of the rows q < n whose flag has
// ROW_CHANGED to list (one atomicAdd per 32 rows) and raises nonFinite when a row has ROW_NONFINITE.
__device__ __forceinline__ void appendFlaggedRows(const int* flags, const int* pix, int n, int32_t* list, uint32_t* listCount,
                                                  uint32_t* nonFinite) {
  if (threadIdx.x >= 32) return;
  const int lane = threadIdx.x;
  bool bad = false;
  for (int q0 = 0; q0 < n; q0 += 32) {
    const int q = q0 + lane;
    const int f = q < n ? flags[q] : 0;
    bad |= (f & ROW_NONFINITE) != 0;
    const unsigned m = __ballot_sync(0xffffffffu, (f & ROW_CHANGED) != 0);
    if (!m) continue;
    uint32_t base = 0;
    if (lane == 0) base = atomicAdd(listCount, static_cast<uint32_t>(__popc(m)));
    base = __shfl_sync(0xffffffffu, base, 0);
    if (f & ROW_CHANGED) list[base + __popc(m & ((1u << lane) - 1u))] = pix[q];
  }
  if (__any_sync(0xffffffffu, bad) && lane == 0) atomicOr(nonFinite, 1u);
}

// Truncation of rows [k0, k0 + n) of the exact values e (row k = output pixel pix[k - k0]), by the whole
// block (one warp per pixel, channels over the lanes): a pixel is propagated when max_c |e - vals| > thr in
// double (as delta-cpu), or when a value is NaN/Inf; then vals is updated in place and the pixel appended
// to list. Same rule as delta_truncate.cu (the unfused kernel).
// Called by every thread of the block; sProp: shared scratch of n <= 32 flags.
__device__ __forceinline__ void truncateRows(float* vals, const float* e, long long k0, int n, const int* pix, int C,
                                             double thr, int32_t* list, uint32_t* listCount, uint32_t* nonFinite,
                                             int* sProp) {
  const int lane = threadIdx.x & 31;
  for (int q = threadIdx.x >> 5; q < n; q += blockDim.x >> 5) {
    const long long p = pix[q];
    const float* eq = e + (k0 + q) * C;
    float* v = vals + p * C;
    bool change = false, bad = false;
    for (int c = lane; c < C; c += 32) {
      const float ev = __ldcg(eq + c);  // rows written by other blocks of this launch: read from L2, never a stale L1 line
      change |= !(fabs(static_cast<double>(ev) - static_cast<double>(v[c])) <= thr);
      bad |= !isfinite(ev);
    }
    change = __any_sync(0xffffffffu, change | bad);
    bad = __any_sync(0xffffffffu, bad);
    if (lane == 0) sProp[q] = change;
    if (!change) continue;
    for (int c = lane; c < C; c += 32) v[c] = __ldcg(eq + c);
    if (lane == 0 && bad) atomicOr(nonFinite, 1u);
  }
  // one atomicAdd per block for the update list (n <= 32 rows)
  __syncthreads();
  if (threadIdx.x == 0) {
    int m = 0;
    for (int q = 0; q < n; q++) m += sProp[q];
    if (m) {
      uint32_t base = atomicAdd(listCount, static_cast<uint32_t>(m));
      for (int q = 0; q < n; q++) if (sProp[q]) list[base++] = pix[q];
    }
  }
  __syncthreads();
}
#endif  // __CUDACC__

// Blocks of a grid-stride launch that may have up to `items` work items of `per` each.
inline unsigned gridFor(long long items, int per, unsigned cap = 4096) {
  const long long b = (items + per - 1) / per;
  return static_cast<unsigned>(b < 1 ? 1 : (b > cap ? cap : b));
}

}  // namespace delta_cuda
