// Bindings shared by every delta step (src/cuda/plane.ts): truncation (kernels-cuda/delta_truncate.cuh),
// a stream-ordered fill (stamps and counter pages), and a CUDA-event timer for benchmarks.
//
//   deltaTruncate(vals, e, cand, ctrH, ctrOff, pixels, channels, thr, list)
//       candidates and their count: the entry's CAND word; propagated count: OUT; NaN/Inf flag: NONFINITE
//   deltaDenseDiff(vals, out, stamp, gen, pixels, channels, thr, list, ctrH, ctrOff)
//       the diff pass of a step computed by the backend's dense kernel (delta_truncate.cuh DenseDiffParams);
//       stamp 0: over every pixel (a busy slot's step without mark)
//   deltaCountersAsync(h, byteOffset, bytes) -> ticket: stream-ordered copy of counter words into pinned host
//       memory, without waiting; deltaCountersPoll(ticket, dst: Uint32Array) -> true once the copy is done
//       (dst filled, ticket released), false while it is in flight (never waits)
//   deltaFill(h, byteOffset, bytes, byteValue)
//   deltaTimerStart(); deltaTimerStop() -> milliseconds between the two, on the stream (waits for it)
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>
#include "delta_args.h"
#include "../kernels-cuda/delta_truncate.cuh"

namespace delta_cuda {
namespace {

Napi::Value Truncate(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    TruncateParams t{};
    const size_t P = sizeArg(info, 5, -1), C = sizeArg(info, 6, -1);
    if (C < 1 || static_cast<double>(P) * C >= 2147483648.0)
      throw std::runtime_error("delta-cuda: deltaTruncate: bad pixels/channels");
    t.pixels = static_cast<int64_t>(P);
    t.channels = static_cast<int32_t>(C);
    t.vals = bufArg<float>(info, 0, P * C * 4);
    t.e = bufArg<const float>(info, 1, P * C * 4);
    t.cand = bufArg<const int32_t>(info, 2, P * 4);
    uint32_t* ctr = countersArg(info, 3);
    if (!ctr) throw std::runtime_error("delta-cuda: deltaTruncate needs a counter entry");
    t.count = ctr + counters::CAND;
    t.listCount = ctr + counters::OUT;
    t.nonFinite = ctr + counters::NONFINITE;
    t.thr = numArg(info, 7, 0);
    t.list = bufArg<int32_t>(info, 8, P * 4);
    check(launchTruncate(t, Runtime::get().stream()), "deltaTruncate launch");
    return info.Env().Undefined();
  });
}

Napi::Value DenseDiff(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    DenseDiffParams d{};
    const size_t P = sizeArg(info, 4, -1), C = sizeArg(info, 5, -1);
    if (C < 1 || static_cast<double>(P) * C >= 2147483648.0)
      throw std::runtime_error("delta-cuda: deltaDenseDiff: bad pixels/channels");
    d.pixels = static_cast<int64_t>(P);
    d.channels = static_cast<int32_t>(C);
    d.vals = bufArg<float>(info, 0, P * C * 4);
    d.out = bufArg<float>(info, 1, P * C * 4);
    d.stamp = optBufArg<const uint32_t>(info, 2, P * 4);  // 0: every pixel (no mark ran)
    d.gen = static_cast<uint32_t>(numArg(info, 3, 0));
    d.thr = numArg(info, 6, 0);
    d.list = bufArg<int32_t>(info, 7, P * 4);
    uint32_t* ctr = countersArg(info, 8);
    if (!ctr) throw std::runtime_error("delta-cuda: deltaDenseDiff needs a counter entry");
    d.listCount = ctr + counters::OUT;
    d.nonFinite = ctr + counters::NONFINITE;
    check(launchDenseDiff(d, Runtime::get().stream()), "deltaDenseDiff launch");
    return info.Env().Undefined();
  });
}

// Pinned host slabs of counter copies in flight (ticket -> slab), and free slabs by size.
struct CounterCopy {
  void* host = nullptr;
  size_t bytes = 0;
  cudaEvent_t done = nullptr;
};
std::vector<CounterCopy> copiesInFlight;   // index = ticket - 1; host == nullptr: free ticket
std::vector<CounterCopy> spareCopies;

Napi::Value CountersAsync(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const size_t off = sizeArg(info, 1, 0), bytes = sizeArg(info, 2, -1);
    if (bytes == 0 || bytes > (64u << 20)) throw std::runtime_error("delta-cuda: deltaCountersAsync: 1 byte to 64 MiB");
    const void* src = Runtime::get().ptr(handleArg(info, 0), off, bytes);
    CounterCopy c{};
    for (size_t i = 0; i < spareCopies.size(); i++) {
      if (spareCopies[i].bytes >= bytes) {
        c = spareCopies[i];
        spareCopies.erase(spareCopies.begin() + static_cast<long>(i));
        break;
      }
    }
    if (!c.host) {
      c.bytes = bytes;
      check(cudaMallocHost(&c.host, bytes), "cudaMallocHost (counters)");
      check(cudaEventCreateWithFlags(&c.done, cudaEventDisableTiming), "cudaEventCreate");
    }
    cudaStream_t s = Runtime::get().stream();
    check(cudaMemcpyAsync(c.host, src, bytes, cudaMemcpyDeviceToHost, s), "counters copy");
    check(cudaEventRecord(c.done, s), "cudaEventRecord");
    size_t t = 0;
    while (t < copiesInFlight.size() && copiesInFlight[t].host) t++;
    if (t == copiesInFlight.size()) copiesInFlight.push_back(c); else copiesInFlight[t] = c;
    return Napi::Number::New(info.Env(), static_cast<double>(t + 1));
  });
}

Napi::Value CountersPoll(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const size_t t = sizeArg(info, 0, 0);
    if (t == 0 || t > copiesInFlight.size() || !copiesInFlight[t - 1].host)
      throw std::runtime_error("delta-cuda: deltaCountersPoll: unknown ticket " + std::to_string(t));
    CounterCopy& c = copiesInFlight[t - 1];
    const cudaError_t q = cudaEventQuery(c.done);
    if (q == cudaErrorNotReady) return Napi::Boolean::New(info.Env(), false);
    check(q, "counters copy");
    auto [dst, n] = bytesArg(info, 1);
    std::memcpy(dst, c.host, std::min(n, c.bytes));
    spareCopies.push_back(c);
    c = CounterCopy{};
    return Napi::Boolean::New(info.Env(), true);
  });
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const size_t off = sizeArg(info, 1, 0), bytes = sizeArg(info, 2, -1);
    void* p = Runtime::get().ptr(handleArg(info, 0), off, bytes);
    const int v = static_cast<int>(numArg(info, 3, 0));
    if (bytes) check(cudaMemsetAsync(p, v & 0xff, bytes, Runtime::get().stream()), "deltaFill");
    return info.Env().Undefined();
  });
}

cudaEvent_t timerEvents[2] = {nullptr, nullptr};

Napi::Value TimerStart(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    for (auto& e : timerEvents)
      if (!e) check(cudaEventCreate(&e), "cudaEventCreate");
    check(cudaEventRecord(timerEvents[0], Runtime::get().stream()), "cudaEventRecord");
    return info.Env().Undefined();
  });
}

Napi::Value TimerStop(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    if (!timerEvents[0]) throw std::runtime_error("delta-cuda: deltaTimerStop without deltaTimerStart");
    check(cudaEventRecord(timerEvents[1], Runtime::get().stream()), "cudaEventRecord");
    check(cudaEventSynchronize(timerEvents[1]), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, timerEvents[0], timerEvents[1]), "cudaEventElapsedTime");
    return Napi::Number::New(info.Env(), ms);
  });
}

}  // namespace

DELTA_CUDA_EXPORT("deltaTruncate", Truncate);
DELTA_CUDA_EXPORT("deltaFill", Fill);
DELTA_CUDA_EXPORT("deltaDenseDiff", DenseDiff);
DELTA_CUDA_EXPORT("deltaCountersAsync", CountersAsync);
DELTA_CUDA_EXPORT("deltaCountersPoll", CountersPoll);
DELTA_CUDA_EXPORT("deltaTimerStart", TimerStart);
DELTA_CUDA_EXPORT("deltaTimerStop", TimerStop);

}  // namespace delta_cuda
