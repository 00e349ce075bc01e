// Argument helpers of the delta kernels' bindings (binding/delta_*.cc), on top of args.h: device pointers
// from (handle, byteOffset) pairs with bounds checks, optional buffers (handle 0 = none), counter words
// of a step (kernels-cuda/delta_common.cuh `counters`), and int32 parameter blocks.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include "args.h"
#include "registry.h"
#include "runtime.h"
#include "../kernels-cuda/delta_common.cuh"

namespace delta_cuda {

// Pointer to `bytes` bytes of buffer info[i] at offset 0.
template <typename T>
inline T* bufArg(const Napi::CallbackInfo& info, size_t i, size_t bytes) {
  return static_cast<T*>(Runtime::get().ptr(handleArg(info, i), 0, bytes));
}

// Same, or nullptr when the handle is 0 (an optional buffer).
template <typename T>
inline T* optBufArg(const Napi::CallbackInfo& info, size_t i, size_t bytes) {
  if (info[i].IsNumber() && info[i].As<Napi::Number>().Uint32Value() == 0) return nullptr;
  return bufArg<T>(info, i, bytes);
}

// One device word at (handle info[i], byte offset info[i + 1]).
inline uint32_t* wordArg(const Napi::CallbackInfo& info, size_t i) {
  const size_t off = sizeArg(info, i + 1, -1);
  if (off % 4) throw std::runtime_error("delta-cuda: counter offset " + std::to_string(off) + " is not 4-byte aligned");
  return static_cast<uint32_t*>(Runtime::get().ptr(handleArg(info, i), off, 4));
}

// The counter entry of a step at (handle info[i], byte offset info[i + 1]); nullptr when the handle is 0.
inline uint32_t* countersArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsNumber() && info[i].As<Napi::Number>().Uint32Value() == 0) return nullptr;
  const size_t off = sizeArg(info, i + 1, -1);
  if (off % 64) throw std::runtime_error("delta-cuda: counter entry offset " + std::to_string(off) + " is not 64-byte aligned");
  return static_cast<uint32_t*>(Runtime::get().ptr(handleArg(info, i), off, counters::WORDS * 4));
}

inline unsigned long long* macsOf(uint32_t* entry) {
  return entry ? reinterpret_cast<unsigned long long*>(entry + counters::MACS) : nullptr;
}

// An Int32Array argument of exactly n elements.
inline const int32_t* int32sArg(const Napi::CallbackInfo& info, size_t i, size_t n, const char* what) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw std::runtime_error(std::string("delta-cuda: ") + what + " must be an Int32Array");
  auto t = info[i].As<Napi::Int32Array>();
  if (t.ElementLength() != n)
    throw std::runtime_error(std::string("delta-cuda: ") + what + " must have " + std::to_string(n) + " elements");
  return t.Data();
}

inline int32_t intArg(const Napi::CallbackInfo& info, size_t i) {
  const double v = numArg(info, i, 0);
  if (v != static_cast<double>(static_cast<int32_t>(v)))
    throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be an int32");
  return static_cast<int32_t>(v);
}

}  // namespace delta_cuda
