// Elementwise delta kernels of delta-cuda (activations, Add/Sub/Multiply, Prelu), NHWC float32:
// mark + compute of a delta step (delta_common.cuh), and the same compute over every pixel for a dense run.
// Semantics = delta-cpu's pointwise kernels (src/cpu/kernels/pointwise.ts): an output pixel is a candidate
// when an input pixel with the same index changed, or every pixel when a broadcast input (scalar,
// per channel) changed; candidates are recomputed from the dense inputs (no accumulation drift).
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

// Operations (same numbering as src/cuda/delta/pointwise.ts).
enum PointwiseOp : int32_t { PW_UNARY = 0, PW_ADD = 1, PW_SUB = 2, PW_MUL = 3, PW_PRELU = 4 };
// How an input is read for flat output index i = p * channels + c.
enum IndexMode : int32_t { IDX_SAME = 0, IDX_SCALAR = 1, IDX_CHANNEL = 2, IDX_PIXEL = 3 };

struct PixelMarkParams {
  const int32_t* list;    // changed pixels of one input, compact
  const uint32_t* count;  // device word: entries in list
  int32_t all;            // 1: the input is broadcast: any change marks every output pixel
  int64_t pixels;         // output pixels
  uint32_t* stamp;
  uint32_t gen;
  int32_t* cand;
  uint32_t* candCount;
};

struct PointwiseParams {
  int32_t op;             // PointwiseOp
  int32_t act;            // Activation (PW_UNARY)
  double leaky;           // LeakyRelu alpha
  const float* a;         // first input (x for unary / prelu)
  const float* b;         // second input (alpha for prelu), or nullptr
  int32_t modeA, modeB;   // IndexMode
  const int32_t* cand;    // candidates, or nullptr: every pixel, k = pixel
  const uint32_t* count;
  int64_t pixels;
  int32_t channels;
  float* e;               // [k, channels]
  unsigned long long* macs;  // or nullptr: + candidates * channels * macsPerElement
  int32_t macsPerElement;
};

cudaError_t launchPixelMark(const PixelMarkParams& p, cudaStream_t stream);
cudaError_t launchPointwise(const PointwiseParams& p, cudaStream_t stream);

}  // namespace delta_cuda
