// Bindings of the dense reductions (kernels-cuda/dense_reduce.cuh).
#include "dense_args.h"
#include "registry.h"
#include "../kernels-cuda/dense_reduce.cuh"

namespace delta_cuda {
namespace {

// reduce(op, x, y, outer, inner, inInt, outInt)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    ReduceParams p{};
    p.op = static_cast<int32_t>(numArg(info, 0, -1));
    if (p.op < R_SUM || p.op > R_ANY) throw std::runtime_error("delta-cuda: reduce: unknown op " + std::to_string(p.op));
    p.outer = static_cast<int64_t>(sizeArg(info, 3, -1));
    p.inner = static_cast<int64_t>(sizeArg(info, 4, -1));
    p.x = devArg(info, 1, p.outer * p.inner * 4, "reduce x");
    p.y = devArg(info, 2, p.outer * 4, "reduce y");
    p.inInt = info[5].ToBoolean().Value();
    p.outInt = info[6].ToBoolean().Value();
    launchCheck(launchReduce(p, Runtime::get().stream()), "reduce launch");
    return info.Env().Undefined();
  });
}

// softmax(x, y, rows, cols, log = false)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t rows = sizeArg(info, 2, -1), cols = sizeArg(info, 3, -1);
    auto x = static_cast<const float*>(devArg(info, 0, rows * cols * 4, "softmax x"));
    auto y = static_cast<float*>(devArg(info, 1, rows * cols * 4, "softmax y"));
    const bool lg = info.Length() > 4 && info[4].ToBoolean().Value();
    launchCheck(launchSoftmax(x, y, rows, cols, lg, Runtime::get().stream()), "softmax launch");
    return info.Env().Undefined();
  });
}

}  // namespace

DELTA_CUDA_EXPORT("reduce", Reduce);
DELTA_CUDA_EXPORT("softmax", Softmax);

}  // namespace delta_cuda
