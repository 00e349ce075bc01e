// Argument helpers shared by every binding/*.cc file: checked conversions of JS arguments, and guard(),
// which turns a C++ exception into a JS exception whose message starts "delta-cuda: ".
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <napi.h>
#include <stdexcept>
#include <string>
#include <utility>

namespace delta_cuda {

template <typename F>
inline Napi::Value guard(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

inline uint32_t handleArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a buffer handle");
  return info[i].As<Napi::Number>().Uint32Value();
}

inline double numArg(const Napi::CallbackInfo& info, size_t i, double dflt) {
  if (i >= info.Length() || info[i].IsUndefined()) return dflt;
  if (!info[i].IsNumber()) throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline size_t sizeArg(const Napi::CallbackInfo& info, size_t i, double dflt) {
  const double v = numArg(info, i, dflt);
  if (!(v >= 0) || v != static_cast<double>(static_cast<size_t>(v)))
    throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a non-negative integer");
  return static_cast<size_t>(v);
}

// (data, bytes) of a TypedArray / DataView / ArrayBuffer argument.
inline std::pair<char*, size_t> bytesArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    auto t = v.As<Napi::TypedArray>();
    auto ab = t.ArrayBuffer();
    return {static_cast<char*>(ab.Data()) + t.ByteOffset(), t.ByteLength()};
  }
  if (v.IsDataView()) {
    auto t = v.As<Napi::DataView>();
    return {static_cast<char*>(t.Data()), t.ByteLength()};
  }
  if (v.IsArrayBuffer()) {
    auto t = v.As<Napi::ArrayBuffer>();
    return {static_cast<char*>(t.Data()), t.ByteLength()};
  }
  throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a TypedArray or ArrayBuffer");
}

}  // namespace delta_cuda
