// Dense convolutions of delta-cuda, NHWC, float32, with the fused epilogue of FusedConv2D /
// FusedDepthwiseConv2D (bias, then activation: linear, relu, relu6, prelu, leakyrelu, elu, sigmoid).
//
//   conv2d:     implicit GEMM. y[m, n] = sum_k A[m, k] * W[k, n] with m = (b, oh, ow) the output pixel,
//               n the output channel, k = (kh, kw, ci); A[m, k] = x[b, oh*sh - padT + kh*dh,
//               ow*sw - padL + kw*dw, ci] (0 outside the image). The filter HWIO [KH, KW, Cin, Cout] is
//               W [K, Cout] as it is in memory: no re-layout.
//   depthwise:  y[b, oh, ow, c*mult + q] = sum_{kh,kw} x[b, ih, iw, c] * w[kh, kw, c, q].
//   conv2dBackpropInput (transposed conv): dx[b, h, w, ci] = sum over (kh, kw, co) with
//               oh = (h + padT - kh) / sh integral and in range: dy[b, oh, ow, co] * w[kh, kw, ci, co].
// CPU reference: tfjs-backend-cpu's conv2D / depthwiseConv2dNative / fusedConv2D / conv2DBackpropInput
// (test/cuda specs compare with them; float32 sums in another order differ by rounding only).
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

enum Activation : int32_t { A_LINEAR = 0, A_RELU, A_RELU6, A_PRELU, A_LEAKYRELU, A_ELU, A_SIGMOID };

struct Epilogue {
  const float* bias;   // [Cout] or null
  const float* alpha;  // prelu weights, indexed by output channel modulo alphaSize, or null
  int32_t alphaSize;
  int32_t act;
  float leaky;         // leakyrelu alpha
};

struct ConvGeom {
  int32_t N, H, W, C;        // input
  int32_t OH, OW, OC;        // output (OC = Cout; for depthwise OC = C * mult)
  int32_t KH, KW, sh, sw, dh, dw, padT, padL;
  int32_t mult;              // depthwise channel multiplier
};

// How conv2d multiplies (dense_conv_tc.cu): CP_FP32 = SIMT float32 FMAs (dense_conv.cu); CP_TF32X3 = tensor
// cores with split operands (float32 accuracy); CP_TF32 = tensor cores, one TF32 product (~1e-3 relative);
// CP_FP16 = tensor cores on fp16 operands (float32 sums) where conv_tc_gemm.cuh applies, CP_TF32 elsewhere.
// Tensor cores need sm_80+; below that every setting runs the SIMT kernel.
enum ConvPrecision : int32_t { CP_FP32 = 0, CP_TF32X3 = 1, CP_TF32 = 2, CP_FP16 = 3 };
void setConvPrecision(int p);
bool tensorCoreConvAvailable();
// Launches the tensor-core conv when the precision setting and the device allow it (returns false otherwise;
// *err gets the launch status). plain and bigTiles: launchConv2d's choices (plain GEMM, 128 x 64 tiles).
bool launchConv2dTensorCore(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                            bool plain, bool bigTiles, cudaError_t* err);

// Launches conv_small_k.cuh's kernel when the layer is one it takes (few input channels: the first layer of an
// image model), whatever the precision setting (returns false otherwise; *err gets the launch status).
bool launchConv2dSmallK(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s,
                        cudaError_t* err);

cudaError_t launchConv2d(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s);
// The 3x3 depthwise kernel that computes 4 outputs of a row per thread (on by default; off: the one-output
// kernel, for A/B in benchmarks/cuda-kernels).
void setDepthwiseRows(bool on);
cudaError_t launchDepthwise(const float* x, const float* w, float* y, const ConvGeom& g, const Epilogue& e, cudaStream_t s);
// g describes the forward conv: (H, W, C) = dx's, (OH, OW, OC) = dy's.
cudaError_t launchConv2dBackpropInput(const float* dy, const float* w, float* dx, const ConvGeom& g, cudaStream_t s);

}  // namespace delta_cuda
