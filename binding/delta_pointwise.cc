// Bindings of the elementwise delta kernels (kernels-cuda/delta_pointwise.cuh), called by
// src/cuda/delta/pointwise.ts.
//
//   deltaPixelMark(list|0, listCountH, listCountOff, all, pixels, stamp, gen, cand, ctrH, ctrOff)
//   deltaPointwise(op, act, leaky, a, aElems, modeA, b|0, bElems, modeB, cand|0, ctrH|0, ctrOff, pixels,
//                  channels, e, macsPerElement)
#include <string>
#include "delta_args.h"
#include "../kernels-cuda/delta_pointwise.cuh"

namespace delta_cuda {
namespace {

size_t elemsOfMode(int32_t mode, size_t pixels, size_t channels) {
  switch (mode) {
    case IDX_SAME: return pixels * channels;
    case IDX_SCALAR: return 1;
    case IDX_CHANNEL: return channels;
    case IDX_PIXEL: return pixels;
    default: throw std::runtime_error("delta-cuda: unknown index mode " + std::to_string(mode));
  }
}

Napi::Value PixelMark(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    PixelMarkParams p{};
    p.all = intArg(info, 3);
    p.pixels = static_cast<int64_t>(sizeArg(info, 4, -1));
    if (p.pixels >= 2147483647) throw std::runtime_error("delta-cuda: deltaPixelMark: too many pixels");
    p.list = p.all ? nullptr : bufArg<const int32_t>(info, 0, p.pixels * 4);
    p.count = wordArg(info, 1);
    p.stamp = bufArg<uint32_t>(info, 5, p.pixels * 4);
    p.gen = static_cast<uint32_t>(numArg(info, 6, 0));
    if (p.gen == 0) throw std::runtime_error("delta-cuda: deltaPixelMark: generation must be nonzero");
    p.cand = bufArg<int32_t>(info, 7, p.pixels * 4);
    uint32_t* ctr = countersArg(info, 8);
    if (!ctr) throw std::runtime_error("delta-cuda: deltaPixelMark needs a counter entry");
    p.candCount = ctr + counters::CAND;
    check(launchPixelMark(p, Runtime::get().stream()), "deltaPixelMark launch");
    return info.Env().Undefined();
  });
}

Napi::Value Pointwise(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    PointwiseParams q{};
    q.op = intArg(info, 0);
    if (q.op < PW_UNARY || q.op > PW_PRELU) throw std::runtime_error("delta-cuda: unknown pointwise op " + std::to_string(q.op));
    q.act = intArg(info, 1);
    if (q.act < ACT_LINEAR || q.act > ACT_TANH || q.act == ACT_PRELU)
      throw std::runtime_error("delta-cuda: unknown unary activation " + std::to_string(q.act));
    q.leaky = numArg(info, 2, 0);
    q.pixels = static_cast<int64_t>(sizeArg(info, 12, -1));
    q.channels = static_cast<int32_t>(sizeArg(info, 13, -1));
    if (q.channels < 1) throw std::runtime_error("delta-cuda: deltaPointwise: channels must be >= 1");
    if (static_cast<double>(q.pixels) * q.channels >= 2147483648.0)
      throw std::runtime_error("delta-cuda: deltaPointwise: 2^31 or more elements");
    const size_t P = static_cast<size_t>(q.pixels), C = static_cast<size_t>(q.channels);
    q.modeA = intArg(info, 5);
    q.a = bufArg<const float>(info, 3, elemsOfMode(q.modeA, P, C) * 4);
    q.modeB = intArg(info, 8);
    const bool binary = q.op != PW_UNARY;
    q.b = binary ? bufArg<const float>(info, 6, elemsOfMode(q.modeB, P, C) * 4) : nullptr;
    q.cand = optBufArg<const int32_t>(info, 9, P * 4);
    uint32_t* ctr = countersArg(info, 10);
    if (q.cand && !ctr) throw std::runtime_error("delta-cuda: deltaPointwise with candidates needs a counter entry");
    q.count = ctr ? ctr + counters::CAND : nullptr;
    q.macs = macsOf(ctr);
    q.e = bufArg<float>(info, 14, P * C * 4);
    q.macsPerElement = intArg(info, 15);
    check(launchPointwise(q, Runtime::get().stream()), "deltaPointwise launch");
    return info.Env().Undefined();
  });
}

}  // namespace

DELTA_CUDA_EXPORT("deltaPixelMark", PixelMark);
DELTA_CUDA_EXPORT("deltaPointwise", Pointwise);

}  // namespace delta_cuda
