// Reductions: one warp per output row (rows are short in the models: channel means, argmax over a
// heatmap); the warp strides through the row and combines with shuffles.
#include "dense_reduce.cuh"
#include <cfloat>
#include <cmath>

namespace delta_cuda {
namespace {

constexpr int THREADS = 256;
constexpr int WARPS = THREADS / 32;

struct Acc {
  double v;        // running value (sum / product / extreme)
  int64_t arg;     // index of the extreme (ArgMax / ArgMin)
  bool nan;        // a NaN was seen (Max/Min propagate it, as tfjs-cpu's comparisons do not: see below)
};

__device__ __forceinline__ double load(const void* p, int64_t i, bool isInt) {
  return isInt ? static_cast<double>(static_cast<const int32_t*>(p)[i]) : static_cast<double>(static_cast<const float*>(p)[i]);
}

__device__ __forceinline__ Acc init(int op) {
  switch (op) {
    case R_PROD: case R_ALL: return {1.0, 0, false};
    case R_MAX: case R_ARGMAX: return {-INFINITY, -1, false};
    case R_MIN: case R_ARGMIN: return {INFINITY, -1, false};
    default: return {0.0, 0, false};
  }
}

// Combines b into a. For ArgMax/ArgMin the lower index wins ties (tfjs-cpu keeps the first maximum).
__device__ __forceinline__ Acc combine(int op, Acc a, Acc b) {
  switch (op) {
    case R_SUM: case R_MEAN: return {a.v + b.v, 0, a.nan || b.nan};
    case R_PROD: return {a.v * b.v, 0, false};
    case R_MAX: return {fmax(a.v, b.v), 0, a.nan || b.nan};
    case R_MIN: return {fmin(a.v, b.v), 0, a.nan || b.nan};
    case R_ARGMAX:
      if (b.arg < 0) return a;
      if (a.arg < 0 || b.v > a.v || (b.v == a.v && b.arg < a.arg)) return b;
      return a;
    case R_ARGMIN:
      if (b.arg < 0) return a;
      if (a.arg < 0 || b.v < a.v || (b.v == a.v && b.arg < a.arg)) return b;
      return a;
    case R_ALL: return {(a.v != 0.0 && b.v != 0.0) ? 1.0 : 0.0, 0, false};
    case R_ANY: return {(a.v != 0.0 || b.v != 0.0) ? 1.0 : 0.0, 0, false};
    default: return a;
  }
}

__device__ __forceinline__ Acc shfl(Acc a, int lane) {
  Acc b;
  b.v = __shfl_xor_sync(0xffffffffu, a.v, lane);
  b.arg = __shfl_xor_sync(0xffffffffu, a.arg, lane);
  b.nan = __shfl_xor_sync(0xffffffffu, static_cast<int>(a.nan), lane) != 0;
  return b;
}

__global__ void reduceRows(ReduceParams p) {
  const int64_t row = blockIdx.x * static_cast<int64_t>(WARPS) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= p.outer) return;
  const int64_t base = row * p.inner;
  Acc acc = init(p.op);
  for (int64_t i = lane; i < p.inner; i += 32) {
    const double v = load(p.x, base + i, p.inInt);
    Acc e{v, i, v != v};
    if ((p.op == R_ARGMAX || p.op == R_ARGMIN) && v != v) continue;  // NaN never wins a comparison
    acc = combine(p.op, acc, e);
  }
  for (int off = 16; off > 0; off >>= 1) acc = combine(p.op, acc, shfl(acc, off));
  if (lane != 0) return;
  double r = acc.v;
  if (p.op == R_MEAN) r = p.inner ? r / static_cast<double>(p.inner) : NAN;
  if ((p.op == R_MAX || p.op == R_MIN) && acc.nan) r = NAN;
  if (p.op == R_ARGMAX || p.op == R_ARGMIN) r = acc.arg < 0 ? 0.0 : static_cast<double>(acc.arg);
  if (p.outInt) static_cast<int32_t*>(p.y)[row] = static_cast<int32_t>(r);
  else static_cast<float*>(p.y)[row] = static_cast<float>(r);
}

__global__ void softmaxRows(const float* x, float* y, int64_t rows, int64_t cols, bool logSoftmax) {
  const int64_t row = blockIdx.x * static_cast<int64_t>(WARPS) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const float* xr = x + row * cols;
  float* yr = y + row * cols;
  float m = -INFINITY;
  for (int64_t i = lane; i < cols; i += 32) m = fmaxf(m, xr[i]);
  for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
  float sum = 0.f;
  for (int64_t i = lane; i < cols; i += 32) sum += expf(xr[i] - m);
  for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  const float logSum = logf(sum);
  for (int64_t i = lane; i < cols; i += 32) yr[i] = logSoftmax ? xr[i] - m - logSum : expf(xr[i] - m) / sum;
}

}  // namespace

cudaError_t launchReduce(const ReduceParams& p, cudaStream_t s) {
  if (p.outer == 0) return cudaSuccess;
  reduceRows<<<static_cast<unsigned>((p.outer + WARPS - 1) / WARPS), THREADS, 0, s>>>(p);
  return cudaGetLastError();
}

cudaError_t launchSoftmax(const float* x, float* y, int64_t rows, int64_t cols, bool logSoftmax, cudaStream_t s) {
  if (rows == 0 || cols == 0) return cudaSuccess;
  softmaxRows<<<static_cast<unsigned>((rows + WARPS - 1) / WARPS), THREADS, 0, s>>>(x, y, rows, cols, logSoftmax);
  return cudaGetLastError();
}

}  // namespace delta_cuda
