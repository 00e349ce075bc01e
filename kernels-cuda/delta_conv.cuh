// Sparse conv2d / depthwise conv2d of delta-cuda (NHWC, float32): mark + compute of a delta step
// (see delta_common.cuh for the whole step), and the same compute over every pixel for a dense run.
//
// Semantics = delta-cpu's conv family (src/cpu/kernels/conv_common.ts, output-stationary recompute):
// an output pixel is a candidate when its receptive field holds a changed input pixel; its exact value is
// recomputed from the dense input in tfjs-backend-cpu's order (filter row, filter column, input channel;
// float32 after every multiply-add: fmaf here, so exact mode agrees within float rounding, usually bit for
// bit), then + bias, then the activation. No accumulator: no drift, and a NaN that leaves the input
// leaves the output on the next step.
//
// Filter layout: tfjs' own [fH, fW, inC, outC] (depthwise [fH, fW, inC, mult]) is already the layout the
// kernels want (output channels innermost: a warp reads a tap's weights for 32 output channels coalesced),
// so the slot keeps the filter tensor as is; no re-layout pass is needed.
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

struct ConvGeom {
  int32_t batch, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padT, padL;
  int32_t depthwise;  // 1: depthwise (outC = inC * multiplier)
};
constexpr int CONV_GEOM_INTS = 16;

struct ConvMarkParams {
  const int32_t* list;    // changed input pixels (b*inH + y)*inW + x, compact
  const uint32_t* count;  // device word: entries in list
  uint32_t* stamp;        // [outPixels]: generation of the step that last marked the pixel
  uint32_t gen;           // this step's generation (never 0)
  int32_t* cand;          // [outPixels] capacity: candidate output pixels, compact
  uint32_t* candCount;    // device word
};

struct ConvComputeParams {
  const float* x;         // dense input [batch, inH, inW, inC]
  const float* w;         // filter [fH, fW, inC, outC] (depthwise: [fH, fW, inC, mult])
  const float* bias;      // [outC] or nullptr
  const float* alpha;     // prelu weights [outC] or nullptr
  int32_t act;            // Activation
  double leaky;           // leakyrelu alpha
  const int32_t* cand;    // candidate output pixels, or nullptr: every output pixel, k = pixel
  const uint32_t* count;  // device word: candidates (ignored without cand)
  float* e;               // [k, outC]: exact values of the candidates (row k = cand[k])
  unsigned long long* macs;  // device counter of multiply-accumulates, or nullptr
  uint32_t* countCopy;    // or nullptr: block 0 copies *count here (a mark-free step's CAND word)
  const uint32_t* stamp;  // this step's mark stamps ([outPixels], == gen: a candidate), or nullptr: not given
  uint32_t gen;
};

// Truncation fused into the compute (delta_truncate.cuh semantics, per candidate): the block that completes
// a group of candidates (all its output channels) decides, updates vals in place and appends to the list.
struct ConvTruncateParams {
  float* vals;            // [outPixels, outC]: propagated values
  double thr;
  int32_t* list;          // [outPixels] capacity: propagated pixels
  uint32_t* listCount;    // device word (the step's OUT)
  uint32_t* nonFinite;    // device word (the step's NONFINITE)
  uint32_t* groups;       // [outPixels] zeroed at seed: arrivals per candidate group (modulo counters)
};

cudaError_t launchConvMark(const ConvGeom& g, const ConvMarkParams& p, cudaStream_t stream);
// t == nullptr: values only (a dense run writes every pixel's row into p.e, which may be the slot's vals).
cudaError_t launchConvCompute(const ConvGeom& g, const ConvComputeParams& p, const ConvTruncateParams* t, cudaStream_t stream);

}  // namespace delta_cuda
