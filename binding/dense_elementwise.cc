// Bindings of the dense elementwise kernels (kernels-cuda/dense_elementwise.cuh). Every function
// enqueues on the runtime's stream and returns at once.
#include "dense_args.h"
#include "registry.h"
#include "../kernels-cuda/dense_elementwise.cuh"

namespace delta_cuda {
namespace {

// unary(op, x, y, n, inInt, outInt, a = 0, b = 0)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    UnaryParams p{};
    p.op = static_cast<int32_t>(numArg(info, 0, -1));
    if (p.op < 0 || p.op >= U_EXP_BASE_COUNT) throw std::runtime_error("delta-cuda: unary: unknown op " + std::to_string(p.op));
    p.n = static_cast<int64_t>(sizeArg(info, 3, -1));
    p.x = devArg(info, 1, p.n * 4, "unary x");
    p.y = devArg(info, 2, p.n * 4, "unary y");
    p.inInt = info[4].ToBoolean().Value();
    p.outInt = info[5].ToBoolean().Value();
    p.a = static_cast<float>(numArg(info, 6, 0));
    p.b = static_cast<float>(numArg(info, 7, 0));
    launchCheck(launchUnary(p, Runtime::get().stream()), "unary launch");
    return info.Env().Undefined();
  });
}

// Sizes the buffer of a [shape] tensor read through strides (max offset + 1), for bounds checks.
int64_t extentOf(int rank, const int64_t* shape, const int64_t* stride) {
  int64_t hi = 0;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return 0;
    if (stride[d] > 0) hi += (shape[d] - 1) * stride[d];
  }
  return hi + 1;
}

// binary(op, a, b, out, inInt, outInt, geom Int32Array[1 + 3 * 6] = rank, shape, aStride, bStride)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    BinaryParams p{};
    p.op = static_cast<int32_t>(numArg(info, 0, -1));
    const int32_t* g = intsArg(info, 6, 1 + 3 * kMaxRank, "binary");
    p.rank = g[0];
    if (p.rank < 0 || p.rank > kMaxRank) throw std::runtime_error("delta-cuda: binary: rank must be 0..6");
    p.n = 1;
    for (int d = 0; d < p.rank; d++) {
      p.shape[d] = g[1 + d];
      p.aStride[d] = g[1 + kMaxRank + d];
      p.bStride[d] = g[1 + 2 * kMaxRank + d];
      if (p.shape[d] < 0 || p.aStride[d] < 0 || p.bStride[d] < 0) throw std::runtime_error("delta-cuda: binary: negative shape/stride");
      p.n *= p.shape[d];
    }
    p.a = devArg(info, 1, extentOf(p.rank, p.shape, p.aStride) * 4 * (p.n > 0), "binary a");
    p.b = devArg(info, 2, extentOf(p.rank, p.shape, p.bStride) * 4 * (p.n > 0), "binary b");
    p.out = devArg(info, 3, p.n * 4, "binary out");
    p.inInt = info[4].ToBoolean().Value();
    p.outInt = info[5].ToBoolean().Value();
    launchCheck(launchBinary(p, Runtime::get().stream()), "binary launch");
    return info.Env().Undefined();
  });
}

// stridedCopy(src, srcOffset, dst, dstOffset, geom Int32Array[1 + 3 * 6] = rank, shape, srcStride, dstStride)
// Offsets/strides in elements; strides may be negative (the offsets then point at the first element read).
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    CopyParams p{};
    const int32_t* g = intsArg(info, 4, 1 + 3 * kMaxRank, "stridedCopy");
    p.rank = g[0];
    if (p.rank < 0 || p.rank > kMaxRank) throw std::runtime_error("delta-cuda: stridedCopy: rank must be 0..6");
    p.n = 1;
    int64_t sLo = 0, sHi = 0, dLo = 0, dHi = 0;
    for (int d = 0; d < p.rank; d++) {
      p.shape[d] = g[1 + d];
      p.srcStride[d] = g[1 + kMaxRank + d];
      p.dstStride[d] = g[1 + 2 * kMaxRank + d];
      if (p.shape[d] < 0) throw std::runtime_error("delta-cuda: stridedCopy: negative shape");
      p.n *= p.shape[d];
      const int64_t es = (p.shape[d] > 0 ? p.shape[d] - 1 : 0);
      (p.srcStride[d] > 0 ? sHi : sLo) += es * p.srcStride[d];
      (p.dstStride[d] > 0 ? dHi : dLo) += es * p.dstStride[d];
    }
    const int64_t srcOff = static_cast<int64_t>(sizeArg(info, 1, 0)), dstOff = static_cast<int64_t>(sizeArg(info, 3, 0));
    if (p.n > 0) {
      Runtime& rt = Runtime::get();
      const uint32_t hs = handleArg(info, 0), hd = handleArg(info, 2);
      if (srcOff + sLo < 0 || static_cast<size_t>((srcOff + sHi + 1) * 4) > rt.size(hs))
        throw std::runtime_error("delta-cuda: stridedCopy: source range outside buffer " + std::to_string(hs));
      if (dstOff + dLo < 0 || static_cast<size_t>((dstOff + dHi + 1) * 4) > rt.size(hd))
        throw std::runtime_error("delta-cuda: stridedCopy: destination range outside buffer " + std::to_string(hd));
      p.src = static_cast<const uint32_t*>(rt.ptr(hs)) + srcOff;
      p.dst = static_cast<uint32_t*>(rt.ptr(hd)) + dstOff;
      launchCheck(launchStridedCopy(p, rt.stream()), "stridedCopy launch");
    }
    return info.Env().Undefined();
  });
}

// fill(dst, offset, n, value, isInt)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const size_t off = sizeArg(info, 1, 0), n = sizeArg(info, 2, -1);
    uint32_t* dst = static_cast<uint32_t*>(devArg(info, 0, (off + n) * 4, "fill"));
    const double v = numArg(info, 3, 0);
    uint32_t bits;
    if (info[4].ToBoolean().Value()) {
      const int32_t iv = static_cast<int32_t>(v);
      std::memcpy(&bits, &iv, 4);
    } else {
      const float fv = static_cast<float>(v);
      std::memcpy(&bits, &fv, 4);
    }
    launchCheck(launchFill(dst + off, static_cast<int64_t>(n), bits, Runtime::get().stream()), "fill launch");
    return info.Env().Undefined();
  });
}

// gather(x, indices, out, outer, axisLen, inner, nIdx)
Napi::Value Gather(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int64_t outer = sizeArg(info, 3, -1), axisLen = sizeArg(info, 4, -1), inner = sizeArg(info, 5, -1),
                  nIdx = sizeArg(info, 6, -1);
    auto x = static_cast<const uint32_t*>(devArg(info, 0, outer * axisLen * inner * 4, "gather x"));
    auto idx = static_cast<const int32_t*>(devArg(info, 1, nIdx * 4, "gather indices"));
    auto out = static_cast<uint32_t*>(devArg(info, 2, outer * nIdx * inner * 4, "gather out"));
    launchCheck(launchGather(x, idx, out, outer, axisLen, inner, nIdx, Runtime::get().stream()), "gather launch");
    return info.Env().Undefined();
  });
}

}  // namespace

DELTA_CUDA_EXPORT("unary", Unary);
DELTA_CUDA_EXPORT("binary", Binary);
DELTA_CUDA_EXPORT("stridedCopy", StridedCopy);
DELTA_CUDA_EXPORT("fill", Fill);
DELTA_CUDA_EXPORT("gather", Gather);

}  // namespace delta_cuda
