// node-addon-api glue of delta-cuda. Every function is bound once (module init) and called through the
// thin wrappers of src/cuda/native.ts. Buffers are integer handles of Runtime's table (bounds-checked),
// never raw pointers. Errors surface as JS exceptions whose message starts "delta-cuda: ".
#define NAPI_VERSION 8
#include <napi.h>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <vector>
#include "args.h"
#include "registry.h"
#include "runtime.h"
#include "../kernels-cuda/sparsify.cuh"

using delta_cuda::Runtime;
using delta_cuda::guard;
using delta_cuda::handleArg;
using delta_cuda::numArg;
using delta_cuda::sizeArg;
using delta_cuda::bytesArg;

namespace {

#ifndef DELTA_CUDA_ARCHS
#define DELTA_CUDA_ARCHS "unknown"
#endif

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

// cachedBytes(): device bytes kept by the block cache for reuse; trim(): returns them to the driver.
Napi::Value CachedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Runtime::get().cachedBytes()));
}
// deviceMemory(): {free, total} from cudaMemGetInfo (the whole device, every process), heldBytes (blocks this
// runtime holds from the driver: live + cached), cachedBytes, liveBuffers. The long-run specs check it flat.
Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime& rt = Runtime::get();
    rt.stream();  // initialises on the default device when nothing ran yet
    size_t free = 0, total = 0;
    delta_cuda::check(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("free", static_cast<double>(free));
    o.Set("total", static_cast<double>(total));
    o.Set("heldBytes", static_cast<double>(rt.heldBytes()));
    o.Set("cachedBytes", static_cast<double>(rt.cachedBytes()));
    o.Set("liveBuffers", static_cast<double>(rt.liveBuffers()));
    return o;
  });
}
Napi::Value Trim(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    Runtime::get().trim();
    return info.Env().Undefined();
  });
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

// sparsify(base, x, pixels, channels, thr, idx, delta, count, countOffset = 0, readCount = false,
//          nonFiniteOffset = -1, countZeroed = false)
// Enqueues the kernel; with readCount, waits and returns the active pixel count, else undefined
// (the count stays on the device: read it later with readU32(count, countOffset)). nonFiniteOffset >= 0: a word
// of the count buffer at that byte offset is OR-ed with 1 when x holds a NaN/Inf. countZeroed: the caller knows the
// count word is zero (a fresh counter entry): the clearing memset (a launch of its own) is skipped.
Napi::Value Sparsify(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    delta_cuda::SparsifyParams p = sparsifyParams(info);
    p.countZeroed = info.Length() > 11 && info[11].ToBoolean().Value();
    if (info.Length() > 10 && info[10].IsNumber() && info[10].As<Napi::Number>().DoubleValue() >= 0) {
      p.nonFinite = static_cast<uint32_t*>(Runtime::get().ptr(handleArg(info, 7), sizeArg(info, 10, 0), 4));
    }
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

// sparsifyProbe(base, x, pixels, channels, thr, idx, delta, state) -> 2 * count + (1 if x holds a NaN/Inf)
// sparsify in probe mode (kernels-cuda/sparsify.cuh SparsifyReport): `state` is a 16-byte device buffer, zeroed
// once by the caller ([count, blocksDone, nonFinite, result]; the kernel leaves the first three zeroed, the active
// count in `result` for launches queued after it). Waits for the stream by polling a mapped host report (no copy,
// no event): the cheapest answer to "did anything change?" before the host decides what to launch.
struct ProbeReport {
  delta_cuda::SparsifyReport* host = nullptr;
  delta_cuda::SparsifyReport* device = nullptr;
  int deviceOrdinal = -1;
  uint32_t seq = 0;
} probeReport;

Napi::Value SparsifyProbe(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    delta_cuda::SparsifyParams p = sparsifyParams(info);
    Runtime& rt = Runtime::get();
    cudaStream_t stream = rt.stream();
    uint32_t* state = static_cast<uint32_t*>(rt.ptr(handleArg(info, 7), 0, 16));
    p.count = state;
    p.blocksDone = state + 1;
    p.nonFinite = state + 2;
    p.result = state + 3;
    if (p.pixels == 0) return Napi::Number::New(info.Env(), 0);
    ProbeReport& r = probeReport;
    if (!r.host || r.deviceOrdinal != rt.device()) {
      void* h = nullptr;
      delta_cuda::check(cudaHostAlloc(&h, sizeof(delta_cuda::SparsifyReport), cudaHostAllocMapped), "sparsifyProbe: cudaHostAlloc");
      void* d = nullptr;
      delta_cuda::check(cudaHostGetDevicePointer(&d, h, 0), "sparsifyProbe: cudaHostGetDevicePointer");
      r = ProbeReport{static_cast<delta_cuda::SparsifyReport*>(h), static_cast<delta_cuda::SparsifyReport*>(d), rt.device(), 0};
      std::memset(h, 0, sizeof(delta_cuda::SparsifyReport));
    }
    if (++r.seq == 0) r.seq = 1;  // (0: the report's initial value)
    p.report = r.device;
    p.reportSeq = r.seq;
    delta_cuda::check(delta_cuda::launchSparsify(p, stream), "sparsifyProbe launch");
    volatile delta_cuda::SparsifyReport* rep = r.host;
    for (uint32_t spins = 1; rep->seq != r.seq; spins++) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((spins & 255) != 0) continue;
      // now and then: a failed kernel never reports (the query returns its error)
      const cudaError_t q = cudaStreamQuery(stream);
      if (q == cudaErrorNotReady) continue;
      delta_cuda::check(q, "sparsifyProbe");
      if (rep->seq != r.seq) throw std::runtime_error("delta-cuda: sparsifyProbe: the kernel finished without its report");
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    const double n = static_cast<double>(rep->count);
    return Napi::Number::New(info.Env(), 2 * n + (rep->nonFinite ? 1 : 0));
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

DELTA_CUDA_EXPORT("deviceInfo", DeviceInfo);
DELTA_CUDA_EXPORT("buildInfo", BuildInfo);
DELTA_CUDA_EXPORT("init", Init);
DELTA_CUDA_EXPORT("alloc", Alloc);
DELTA_CUDA_EXPORT("free", Free);
DELTA_CUDA_EXPORT("size", Size);
DELTA_CUDA_EXPORT("upload", Upload);
DELTA_CUDA_EXPORT("download", Download);
DELTA_CUDA_EXPORT("copy", Copy);
DELTA_CUDA_EXPORT("synchronize", Synchronize);
DELTA_CUDA_EXPORT("liveBuffers", LiveBuffers);
DELTA_CUDA_EXPORT("cachedBytes", CachedBytes);
DELTA_CUDA_EXPORT("trim", Trim);
DELTA_CUDA_EXPORT("deviceMemory", DeviceMemory);
DELTA_CUDA_EXPORT("sparsify", Sparsify);
DELTA_CUDA_EXPORT("sparsifyProbe", SparsifyProbe);
DELTA_CUDA_EXPORT("readU32", ReadU32);
DELTA_CUDA_EXPORT("timeSparsify", TimeSparsify);

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  for (const auto& x : delta_cuda::exportRegistry()) exports.Set(x.name, Napi::Function::New(env, x.fn, x.name));
  return exports;
}

}  // namespace

namespace delta_cuda {
std::vector<Export>& exportRegistry() {
  static std::vector<Export> registry;  // function-local: safe whatever the static init order of the .cc files
  return registry;
}
}  // namespace delta_cuda

NODE_API_MODULE(delta_cuda, Module)
