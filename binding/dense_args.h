// Helpers shared by the dense-kernel bindings (binding/dense_*.cc): device pointers of handles with
// size checks, optional handles (0 = none), and Int32Array geometry blocks.
#pragma once
#include <cstring>
#include <string>
#include "args.h"
#include "runtime.h"

namespace delta_cuda {

// The device address of handle argument i, checked to hold at least `bytes`.
inline void* devArg(const Napi::CallbackInfo& info, size_t i, size_t bytes, const char* what) {
  const uint32_t h = handleArg(info, i);
  Runtime& rt = Runtime::get();
  if (rt.size(h) < bytes)
    throw std::runtime_error(std::string("delta-cuda: ") + what + ": buffer " + std::to_string(h) + " holds " +
                             std::to_string(rt.size(h)) + " bytes, needs " + std::to_string(bytes));
  return rt.ptr(h, 0, bytes);
}

// Like devArg, but 0 means "no buffer" (returns nullptr).
inline void* optDevArg(const Napi::CallbackInfo& info, size_t i, size_t bytes, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber() || info[i].As<Napi::Number>().Uint32Value() == 0) return nullptr;
  return devArg(info, i, bytes, what);
}

// An Int32Array argument of exactly n values.
inline const int32_t* intsArg(const Napi::CallbackInfo& info, size_t i, size_t n, const char* what) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw std::runtime_error(std::string("delta-cuda: ") + what + ": argument " + std::to_string(i) + " must be an Int32Array");
  auto a = info[i].As<Napi::Int32Array>();
  if (a.ElementLength() != n)
    throw std::runtime_error(std::string("delta-cuda: ") + what + ": expected " + std::to_string(n) + " geometry values, got " +
                             std::to_string(a.ElementLength()));
  return a.Data();
}

inline void launchCheck(cudaError_t err, const char* what) { check(err, what); }

}  // namespace delta_cuda
