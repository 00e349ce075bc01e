// node-addon-api glue of delta-cuda. Every function is bound once (module init) and called through the
// thin wrappers of src/cuda/native.ts. Buffers are integer handles of Runtime's table (bounds-checked),
// never raw pointers. Errors surface as JS exceptions whose message starts "delta-cuda: ".
#define NAPI_VERSION 8
#include <napi.h>
#include <stdexcept>
#include <vector>
#include "runtime.h"
#include "../kernels-cuda/sparsify.cuh"

using delta_cuda::Runtime;

namespace {

#ifndef DELTA_CUDA_ARCHS
#define DELTA_CUDA_ARCHS "unknown"
#endif

template <typename F>
Napi::Value guard(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    Napi::Error::New(info.Env(), e.what()).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
}

uint32_t handleArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a buffer handle");
  return info[i].As<Napi::Number>().Uint32Value();
}

double numArg(const Napi::CallbackInfo& info, size_t i, double dflt) {
  if (i >= info.Length() || info[i].IsUndefined()) return dflt;
  if (!info[i].IsNumber()) throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

size_t sizeArg(const Napi::CallbackInfo& info, size_t i, double dflt) {
  const double v = numArg(info, i, dflt);
  if (!(v >= 0) || v != static_cast<double>(static_cast<size_t>(v)))
    throw std::runtime_error("delta-cuda: argument " + std::to_string(i) + " must be a non-negative integer");
  return static_cast<size_t>(v);
}

// (data, bytes) of a TypedArray / DataView / ArrayBuffer argument.
std::pair<char*, size_t> bytesArg(const Napi::CallbackInfo& info, size_t i) {
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

Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  delta_cuda::Probe p = Runtime::probe();
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", p.count);
  Napi::Array devs = Napi::Array::New(env, p.devices.size());
  for (size_t i = 0; i < p.devices.size(); i++) {
    const auto& d = p.devices[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("name", d.name);
    x.Set("cc", std::to_string(d.ccMajor) + "." + std::to_string(d.ccMinor));
    x.Set("memory", static_cast<double>(d.memory));
    x.Set("multiprocessors", d.multiprocessors);
    x.Set("l2Bytes", d.l2Bytes);
    devs.Set(static_cast<uint32_t>(i), x);
  }
  o.Set("devices", devs);
  if (!p.reason.empty()) o.Set("reason", "no CUDA device/driver: " + p.reason);
  o.Set("driverVersion", p.driverVersion);
  o.Set("runtimeVersion", p.runtimeVersion);
  return o;
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("archs", DELTA_CUDA_ARCHS);
  o.Set("cudaRuntime", CUDART_VERSION);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime::get().init(static_cast<int>(numArg(info, 0, 0)));
    return Napi::Number::New(info.Env(), Runtime::get().device());
  });
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), Runtime::get().alloc(sizeArg(info, 0, -1)));
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime::get().free(handleArg(info, 0));
    return info.Env().Undefined();
  });
}

Napi::Value Size(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(Runtime::get().size(handleArg(info, 0))));
  });
}

// upload(handle, typedArray, byteOffset = 0): stream-ordered; returns once the data is staged.
Napi::Value Upload(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto [data, n] = bytesArg(info, 1);
    Runtime::get().upload(handleArg(info, 0), sizeArg(info, 2, 0), data, n);
    return info.Env().Undefined();
  });
}

// download(handle, typedArray, byteOffset = 0): waits for the stream up to the copy; fills the array.
Napi::Value Download(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    auto [data, n] = bytesArg(info, 1);
    Runtime::get().download(handleArg(info, 0), sizeArg(info, 2, 0), data, n);
    return info[1];
  });
}

// copy(dst, dstOffset, src, srcOffset, bytes): device to device, stream-ordered.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime::get().copy(handleArg(info, 0), sizeArg(info, 1, 0), handleArg(info, 2), sizeArg(info, 3, 0),
                        sizeArg(info, 4, -1));
    return info.Env().Undefined();
  });
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime::get().synchronize();
    return info.Env().Undefined();
  });
}

Napi::Value LiveBuffers(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Runtime::get().liveBuffers()));
}

delta_cuda::SparsifyParams sparsifyParams(const Napi::CallbackInfo& info) {
  Runtime& rt = Runtime::get();
  const size_t pixels = sizeArg(info, 2, -1), channels = sizeArg(info, 3, -1);
  if (channels == 0 || channels > (1u << 20)) throw std::runtime_error("delta-cuda: sparsify: channels must be in 1..2^20");
  if (pixels > INT32_MAX) throw std::runtime_error("delta-cuda: sparsify: more than 2^31-1 pixels");
  const size_t elems = pixels * channels;
  delta_cuda::SparsifyParams p{};
  p.base = static_cast<float*>(rt.ptr(handleArg(info, 0), 0, elems * 4));
  p.x = static_cast<const float*>(rt.ptr(handleArg(info, 1), 0, elems * 4));
  p.pixels = static_cast<int64_t>(pixels);
  p.channels = static_cast<int32_t>(channels);
  p.thr = numArg(info, 4, 0);
  p.idx = static_cast<int32_t*>(rt.ptr(handleArg(info, 5), 0, pixels * 4));
  p.delta = static_cast<float*>(rt.ptr(handleArg(info, 6), 0, elems * 4));
  p.count = static_cast<uint32_t*>(rt.ptr(handleArg(info, 7), sizeArg(info, 8, 0), 4));
  return p;
}

// sparsify(base, x, pixels, channels, thr, idx, delta, count, countOffset = 0, readCount = false)
// Enqueues the kernel; with readCount, waits and returns the active pixel count, else undefined
// (the count stays on the device: read it later with readU32(count, countOffset)).
Napi::Value Sparsify(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    delta_cuda::SparsifyParams p = sparsifyParams(info);
    Runtime& rt = Runtime::get();
    delta_cuda::check(delta_cuda::launchSparsify(p, rt.stream()), "sparsify launch");
    if (info.Length() > 9 && info[9].ToBoolean().Value()) {
      uint32_t n = 0;
      rt.download(handleArg(info, 7), sizeArg(info, 8, 0), &n, 4);
      return Napi::Number::New(info.Env(), n);
    }
    return info.Env().Undefined();
  });
}

// readU32(handle, byteOffset = 0): one device word, through the pinned staging (waits for the stream).
Napi::Value ReadU32(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    uint32_t n = 0;
    Runtime::get().download(handleArg(info, 0), sizeArg(info, 1, 0), &n, 4);
    return Napi::Number::New(info.Env(), n);
  });
}

// timeSparsify(base, x, pixels, channels, thr, idx, delta, count, countOffset, pristine, reps, flush)
// For benchmarks: per repetition, restores base from `pristine` (device copy), optionally evicts L2 by
// writing `flush` (a handle, 0 = none), then times the sparsify launch alone with CUDA events.
// Returns a Float64Array of microseconds per repetition.
Napi::Value TimeSparsify(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    delta_cuda::SparsifyParams p = sparsifyParams(info);
    Runtime& rt = Runtime::get();
    const uint32_t pristine = handleArg(info, 9);
    const size_t reps = sizeArg(info, 10, 1);
    const uint32_t flush = static_cast<uint32_t>(numArg(info, 11, 0));
    const size_t bytes = static_cast<size_t>(p.pixels) * p.channels * 4;
    void* pr = rt.ptr(pristine, 0, bytes);
    void* fl = flush ? rt.ptr(flush, 0, rt.size(flush)) : nullptr;
    cudaStream_t s = rt.stream();
    std::vector<cudaEvent_t> ev(2 * reps);
    for (auto& e : ev) delta_cuda::check(cudaEventCreate(&e), "cudaEventCreate");
    for (size_t r = 0; r < reps; r++) {
      delta_cuda::check(cudaMemcpyAsync(p.base, pr, bytes, cudaMemcpyDeviceToDevice, s), "restore");
      if (fl) delta_cuda::check(cudaMemsetAsync(fl, r & 0xff, rt.size(flush), s), "flush");
      delta_cuda::check(cudaEventRecord(ev[2 * r], s), "cudaEventRecord");
      delta_cuda::check(delta_cuda::launchSparsify(p, s), "sparsify launch");
      delta_cuda::check(cudaEventRecord(ev[2 * r + 1], s), "cudaEventRecord");
    }
    delta_cuda::check(cudaStreamSynchronize(s), "synchronize");
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), reps);
    for (size_t r = 0; r < reps; r++) {
      float ms = 0;
      delta_cuda::check(cudaEventElapsedTime(&ms, ev[2 * r], ev[2 * r + 1]), "cudaEventElapsedTime");
      out[r] = ms * 1000.0;
    }
    for (auto& e : ev) cudaEventDestroy(e);
    return out;
  });
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo, "deviceInfo"));
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("alloc", Napi::Function::New(env, Alloc, "alloc"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("size", Napi::Function::New(env, Size, "size"));
  exports.Set("upload", Napi::Function::New(env, Upload, "upload"));
  exports.Set("download", Napi::Function::New(env, Download, "download"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize, "synchronize"));
  exports.Set("liveBuffers", Napi::Function::New(env, LiveBuffers, "liveBuffers"));
  exports.Set("sparsify", Napi::Function::New(env, Sparsify, "sparsify"));
  exports.Set("readU32", Napi::Function::New(env, ReadU32, "readU32"));
  exports.Set("timeSparsify", Napi::Function::New(env, TimeSparsify, "timeSparsify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(delta_cuda, Module)
