// Dense elementwise kernels: see dense_elementwise.cuh. One thread per output element, grid-stride
// loops; the binary kernel has a fast path for equal shapes (no index arithmetic).
#include "dense_elementwise.cuh"
#include <cmath>

namespace delta_cuda {
namespace {

constexpr int THREADS = 256;

inline int blocksFor(int64_t n) {
  int64_t b = (n + THREADS - 1) / THREADS;
  return static_cast<int>(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

__device__ __forceinline__ float loadF(const void* p, int64_t i, bool isInt) {
  return isInt ? static_cast<float>(static_cast<const int32_t*>(p)[i]) : static_cast<const float*>(p)[i];
}

// tfjs-cpu's unary formulas (float32 values).
__device__ float unaryF(int op, float x, float a, float b) {
  switch (op) {
    case U_IDENTITY: return x;
    case U_RELU: return x < 0.f ? 0.f : x;                      // NaN stays NaN, like tfjs-cpu
    case U_RELU6: return x < 0.f ? 0.f : (x > 6.f ? 6.f : x);
    case U_SIGMOID: return 1.f / (1.f + expf(-x));
    case U_TANH: return tanhf(x);
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.f / sqrtf(x);
    case U_NEG: return -x;
    case U_ABS: return fabsf(x);
    case U_SQUARE: return x * x;
    case U_ELU: return x >= 0.f ? x : expf(x) - 1.f;
    case U_LEAKYRELU: return x < 0.f ? a * x : x;
    case U_STEP: return x != x ? NAN : (x > 0.f ? 1.f : a);
    case U_FLOOR: return floorf(x);
    case U_CEIL: return ceilf(x);
    case U_ROUND: return rintf(x);                              // banker's rounding, as tfjs
    case U_SIN: return sinf(x);
    case U_COS: return cosf(x);
    case U_SOFTPLUS: {                                          // tfjs-cpu's thresholded softplus
      const float eps = 1.1920928955078125e-7f, thr = logf(eps) + 2.f;
      if (x > -thr) return x;
      if (x < thr) return expf(x);
      return logf(expf(x) + 1.f);
    }
    case U_SIGN: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case U_RECIPROCAL: return 1.f / x;
    case U_LOG1P: return log1pf(x);
    case U_EXPM1: return expm1f(x);
    case U_ERF: return erff(x);
    case U_SELU: {
      const float scaleAlpha = 1.7580993408473768599402175208123f, scale = 1.0507009873554804934193349852946f;
      return x >= 0.f ? scale * x : scaleAlpha * (expf(x) - 1.f);
    }
    case U_CLIP: return x < a ? a : (x > b ? b : x);
    case U_NOT: return x == 0.f ? 1.f : 0.f;
    case U_ISNAN: return x != x ? 1.f : 0.f;
    case U_CAST_BOOL: return x != 0.f ? 1.f : 0.f;
    default: return NAN;
  }
}

__device__ int32_t unaryI(int op, int32_t x) {
  switch (op) {
    case U_IDENTITY: return x;
    case U_NEG: return -x;
    case U_ABS: return x < 0 ? -x : x;
    case U_SQUARE: return x * x;
    case U_RELU: return x < 0 ? 0 : x;
    case U_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case U_SIGN: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case U_NOT: return x == 0 ? 1 : 0;
    case U_CAST_BOOL: return x != 0 ? 1 : 0;
    default: return 0;
  }
}

// Which unary ops on int32 inputs keep int arithmetic (the rest convert to float first).
__device__ __forceinline__ bool intNative(int op) {
  return op == U_IDENTITY || op == U_NEG || op == U_ABS || op == U_SQUARE || op == U_RELU || op == U_RELU6 ||
         op == U_SIGN || op == U_NOT || op == U_CAST_BOOL;
}

__global__ void unaryKernel(UnaryParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < p.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    if (p.inInt && intNative(p.op)) {
      const int32_t v = unaryI(p.op, static_cast<const int32_t*>(p.x)[i]);
      if (p.outInt) static_cast<int32_t*>(p.y)[i] = v;
      else static_cast<float*>(p.y)[i] = static_cast<float>(v);
      continue;
    }
    const float v = unaryF(p.op, loadF(p.x, i, p.inInt), p.a, p.b);
    // Cast float -> int truncates toward zero, as Int32Array.from does (NaN -> 0).
    if (p.outInt) static_cast<int32_t*>(p.y)[i] = v != v ? 0 : static_cast<int32_t>(fmaxf(fminf(truncf(v), 2147483520.f), -2147483648.f));
    else static_cast<float*>(p.y)[i] = v;
  }
}

__device__ float binaryF(int op, float a, float b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_FLOORDIV: return floorf(a / b);
    case B_MOD: {                                                // sign of the divisor (tfjs-cpu mod)
      const float r = fmodf(a, b);
      return ((a < 0.f && b < 0.f) || (a >= 0.f && b >= 0.f)) ? r : fmodf(r + b, b);
    }
    case B_SQDIFF: return (a - b) * (a - b);
    case B_MAX: return (a != a || b != b) ? NAN : fmaxf(a, b);
    case B_MIN: return (a != a || b != b) ? NAN : fminf(a, b);
    case B_POW: return powf(a, b);
    case B_EQUAL: return a == b;
    case B_NOTEQUAL: return a != b;
    case B_LESS: return a < b;
    case B_LESSEQ: return a <= b;
    case B_GREATER: return a > b;
    case B_GREATEREQ: return a >= b;
    case B_AND: return (a != 0.f) && (b != 0.f);
    case B_OR: return (a != 0.f) || (b != 0.f);
    case B_PRELU: return a < 0.f ? b * a : a;
    case B_ATAN2: return atan2f(a, b);
    case B_DIVNONAN: return b == 0.f ? 0.f : a / b;
    default: return NAN;
  }
}

__device__ int32_t binaryI(int op, int32_t a, int32_t b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_FLOORDIV: return b == 0 ? 0 : static_cast<int32_t>(floor(static_cast<double>(a) / b));
    case B_MOD: {
      if (b == 0) return 0;
      const int32_t r = a % b;
      return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : (r + b) % b;
    }
    case B_SQDIFF: return (a - b) * (a - b);
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    case B_EQUAL: return a == b;
    case B_NOTEQUAL: return a != b;
    case B_LESS: return a < b;
    case B_LESSEQ: return a <= b;
    case B_GREATER: return a > b;
    case B_GREATEREQ: return a >= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
    case B_PRELU: return a < 0 ? b * a : a;
    default: return 0;
  }
}

__device__ __forceinline__ bool binaryIntNative(int op) {
  return op != B_DIV && op != B_POW && op != B_ATAN2 && op != B_DIVNONAN;
}

__device__ __forceinline__ void binaryAt(const BinaryParams& p, int64_t i, int64_t ia, int64_t ib) {
  if (p.inInt && binaryIntNative(p.op)) {
    const int32_t v = binaryI(p.op, static_cast<const int32_t*>(p.a)[ia], static_cast<const int32_t*>(p.b)[ib]);
    if (p.outInt) static_cast<int32_t*>(p.out)[i] = v;
    else static_cast<float*>(p.out)[i] = static_cast<float>(v);
    return;
  }
  const float v = binaryF(p.op, loadF(p.a, ia, p.inInt), loadF(p.b, ib, p.inInt));
  if (p.outInt) static_cast<int32_t*>(p.out)[i] = v != v ? 0 : static_cast<int32_t>(fmaxf(fminf(truncf(v), 2147483520.f), -2147483648.f));
  else static_cast<float*>(p.out)[i] = v;
}

__global__ void binarySameShape(BinaryParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < p.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    binaryAt(p, i, i, i);
}

__global__ void binaryBroadcast(BinaryParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < p.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, ia = 0, ib = 0;
    for (int d = p.rank - 1; d >= 0; d--) {
      const int64_t c = rem % p.shape[d];
      rem /= p.shape[d];
      ia += c * p.aStride[d];
      ib += c * p.bStride[d];
    }
    binaryAt(p, i, ia, ib);
  }
}

__global__ void stridedCopyKernel(CopyParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < p.n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, is = 0, id = 0;
    for (int d = p.rank - 1; d >= 0; d--) {
      const int64_t c = rem % p.shape[d];
      rem /= p.shape[d];
      is += c * p.srcStride[d];
      id += c * p.dstStride[d];
    }
    p.dst[id] = p.src[is];
  }
}

__global__ void fillKernel(uint32_t* dst, int64_t n, uint32_t v) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dst[i] = v;
}

__global__ void gatherKernel(const uint32_t* x, const int32_t* idx, uint32_t* out, int64_t outer, int64_t axisLen,
                             int64_t inner, int64_t nIdx) {
  const int64_t n = outer * nIdx * inner;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t r = i % inner, k = (i / inner) % nIdx, o = i / (inner * nIdx);
    const int64_t j = idx[k];
    out[i] = (j >= 0 && j < axisLen) ? x[(o * axisLen + j) * inner + r] : 0u;
  }
}

}  // namespace

cudaError_t launchUnary(const UnaryParams& p, cudaStream_t s) {
  if (p.n == 0) return cudaSuccess;
  unaryKernel<<<blocksFor(p.n), THREADS, 0, s>>>(p);
  return cudaGetLastError();
}

cudaError_t launchBinary(const BinaryParams& p, cudaStream_t s) {
  if (p.n == 0) return cudaSuccess;
  bool same = true;
  int64_t stride = 1;
  for (int d = p.rank - 1; d >= 0; d--) {
    if (p.shape[d] != 1 && (p.aStride[d] != stride || p.bStride[d] != stride)) same = false;
    stride *= p.shape[d];
  }
  if (same) binarySameShape<<<blocksFor(p.n), THREADS, 0, s>>>(p);
  else binaryBroadcast<<<blocksFor(p.n), THREADS, 0, s>>>(p);
  return cudaGetLastError();
}

cudaError_t launchStridedCopy(const CopyParams& p, cudaStream_t s) {
  if (p.n == 0) return cudaSuccess;
  stridedCopyKernel<<<blocksFor(p.n), THREADS, 0, s>>>(p);
  return cudaGetLastError();
}

cudaError_t launchFill(uint32_t* dst, int64_t n, uint32_t value, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  fillKernel<<<blocksFor(n), THREADS, 0, s>>>(dst, n, value);
  return cudaGetLastError();
}

cudaError_t launchGather(const uint32_t* x, const int32_t* idx, uint32_t* out, int64_t outer, int64_t axisLen,
                         int64_t inner, int64_t nIdx, cudaStream_t s) {
  const int64_t n = outer * nIdx * inner;
  if (n == 0) return cudaSuccess;
  gatherKernel<<<blocksFor(n), THREADS, 0, s>>>(x, idx, out, outer, axisLen, inner, nIdx);
  return cudaGetLastError();
}

}  // namespace delta_cuda
