// Dense reductions of delta-cuda over the innermost axis of x viewed as [outer, inner] (the host
// transposes the reduced axes innermost first when they are not): Sum, Mean, Max, Min, Prod, ArgMax,
// ArgMin, All, Any; and Softmax / LogSoftmax over the last axis.
// CPU reference: tfjs-backend-cpu's kernels of the same name. Sums accumulate in double, so a
// reduction of float32 values rounds once (tfjs-cpu accumulates in float32 sequentially: differences
// are within float tolerance, and smaller when the rows are long).
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

enum ReduceOp : int32_t { R_SUM = 0, R_MEAN, R_MAX, R_MIN, R_PROD, R_ARGMAX, R_ARGMIN, R_ALL, R_ANY };

struct ReduceParams {
  const void* x; void* y; int64_t outer, inner; int32_t op; bool inInt, outInt;
};
cudaError_t launchReduce(const ReduceParams& p, cudaStream_t s);

// y[r, :] = softmax(x[r, :]) (or log-softmax) for rows of `cols` float32 values.
cudaError_t launchSoftmax(const float* x, float* y, int64_t rows, int64_t cols, bool logSoftmax, cudaStream_t s);

}  // namespace delta_cuda
