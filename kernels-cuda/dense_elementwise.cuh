// Dense elementwise kernels of delta-cuda: unary ops and casts, binary ops with broadcasting, fill,
// strided copies (transpose, slice, strided slice, pad, concat, pack/unpack, tile-free reshapes) and
// gather. Every tensor is 4-byte elements (float32, or int32; bool is int32 0/1), row-major.
//
// CPU reference: tfjs-backend-cpu's kernels of the same name (the tests compare with them); the per-op
// formulas below repeat tfjs' definitions (e.g. Mod takes the sign of the divisor, FloorDiv floors).
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

constexpr int kMaxRank = 6;

// Unary op codes (mirrored in src/cuda/kernels/codes.ts).
enum UnaryOp : int32_t {
  U_IDENTITY = 0, U_RELU, U_RELU6, U_SIGMOID, U_TANH, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_NEG, U_ABS, U_SQUARE,
  U_ELU, U_LEAKYRELU, U_STEP, U_FLOOR, U_CEIL, U_ROUND, U_SIN, U_COS, U_SOFTPLUS, U_SIGN, U_RECIPROCAL,
  U_LOG1P, U_EXPM1, U_ERF, U_SELU, U_CLIP, U_NOT, U_ISNAN, U_CAST_BOOL, U_EXP_BASE_COUNT
};

// Binary op codes (mirrored in src/cuda/kernels/codes.ts).
enum BinaryOp : int32_t {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_FLOORDIV, B_MOD, B_SQDIFF, B_MAX, B_MIN, B_POW, B_EQUAL, B_NOTEQUAL,
  B_LESS, B_LESSEQ, B_GREATER, B_GREATEREQ, B_AND, B_OR, B_PRELU, B_ATAN2, B_DIVNONAN
};

// Elements are described by 4-byte words; `isInt` selects int32 arithmetic.
struct UnaryParams {
  const void* x; void* y; int64_t n; int32_t op; bool inInt, outInt; float a, b;
};
cudaError_t launchUnary(const UnaryParams& p, cudaStream_t s);

// out[i] = a[offA(i)] op b[offB(i)], i over outShape (rank <= 6); aStride/bStride are 0 on broadcast dims.
struct BinaryParams {
  const void* a; const void* b; void* out; int32_t op; bool inInt, outInt;
  int32_t rank; int64_t shape[kMaxRank], aStride[kMaxRank], bStride[kMaxRank]; int64_t n;
};
cudaError_t launchBinary(const BinaryParams& p, cudaStream_t s);

// dst[dstOff + sum c_k dstStride_k] = src[srcOff + sum c_k srcStride_k] for c over shape (rank <= 6).
// Strides may be negative (reversed reads). Offsets and strides in elements.
struct CopyParams {
  const uint32_t* src; uint32_t* dst; int32_t rank; int64_t shape[kMaxRank], srcStride[kMaxRank], dstStride[kMaxRank];
  int64_t n;
};
cudaError_t launchStridedCopy(const CopyParams& p, cudaStream_t s);

// dst[0..n) = value (a 4-byte pattern).
cudaError_t launchFill(uint32_t* dst, int64_t n, uint32_t value, cudaStream_t s);

// GatherV2 with batchDims 0: out[o, i, r] = x[o, clamp(idx[i]), r] for x [outer, axisLen, inner];
// out-of-range indices give 0 (tfjs-cpu throws; the host checks ranges where it can).
cudaError_t launchGather(const uint32_t* x, const int32_t* idx, uint32_t* out, int64_t outer, int64_t axisLen,
                         int64_t inner, int64_t nIdx, cudaStream_t s);

}  // namespace delta_cuda
