// Dense pooling and resizing of delta-cuda (NHWC float32).
//   pool:   MaxPool / AvgPool with tfjs-cpu's window walk (pool_utils.js `pool`): the window is clipped
//           to the image, padding never counts (avg divides by the clipped count), max keeps the first
//           strictly greater value (a NaN input never wins).
//   resize: ResizeBilinear / ResizeNearestNeighbor with tfjs-cpu's source coordinates (alignCorners,
//           halfPixelCenters), computed in double as JS does, so the same source pixels and weights.
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>
#include "dense_conv.cuh"

namespace delta_cuda {

// g: N,H,W,C input; OH,OW output; KH,KW effective window (dilated); sh,sw; dh,dw; padT,padL.
cudaError_t launchPool(const float* x, float* y, const ConvGeom& g, bool isMax, cudaStream_t s);

struct ResizeParams {
  const float* x; float* y; int32_t N, H, W, C, OH, OW; bool alignCorners, halfPixelCenters, nearest;
};
cudaError_t launchResize(const ResizeParams& p, cudaStream_t s);

}  // namespace delta_cuda
