// Bindings shared by every delta step (src/cuda/plane.ts): truncation (kernels-cuda/delta_truncate.cuh),
// a stream-ordered fill (stamps and counter pages), and a CUDA-event timer for benchmarks.
//
//   deltaTruncate(vals, e, cand, ctrH, ctrOff, pixels, channels, thr, list)
//       candidates and their count: the entry's CAND word; propagated count: OUT; NaN/Inf flag: NONFINITE
//   deltaFill(h, byteOffset, bytes, byteValue)
//   deltaTimerStart(); deltaTimerStop() -> milliseconds between the two, on the stream (waits for it)
#include <string>
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
DELTA_CUDA_EXPORT("deltaTimerStart", TimerStart);
DELTA_CUDA_EXPORT("deltaTimerStop", TimerStop);

}  // namespace delta_cuda
