// Bindings of the sparse conv kernels (kernels-cuda/delta_conv.cuh), called by src/cuda/delta/conv.ts.
//
//   deltaConvMark(geom, list, listCountH, listCountOff, stamp, gen, cand, ctrH, ctrOff)
//   deltaConvCompute(geom, x, w, bias|0, alpha|0, act, leaky, cand|0, ctrH|0, ctrOff, e
//                    [, vals, thr, list, groups [, stamp|0, gen [, countH|0, countOff]]])
// With vals (a delta step) the truncation is fused: propagated pixels update vals and go to list, counts to
// the entry's OUT / NONFINITE words; groups: the slot's per-group arrival counters ([outPixels], zeroed at seed);
// stamp, gen: the step's mark (stamp[pixel] == gen for its candidates), which lets a depthwise step work on row segments;
// count: the word holding the number of candidates when it is not the entry's CAND (a mark-free step: cand is its input's
// update list), copied into CAND by the kernel.
// geom: Int32Array(16) [batch, inH, inW, inC, outH, outW, outC, fH, fW, strideH, strideW, dilH, dilW, padT,
// padL, depthwise]. ctr: the step's counter entry (CAND for mark; CAND read and MACS added by compute);
// compute with cand = 0 runs every output pixel (a dense run) and needs no counters.
#include <string>
#include "delta_args.h"
#include "../kernels-cuda/delta_conv.cuh"

namespace delta_cuda {
namespace {

ConvGeom geomArg(const Napi::CallbackInfo& info, size_t i) {
  const int32_t* v = int32sArg(info, i, CONV_GEOM_INTS, "conv geometry");
  ConvGeom g;
  g.batch = v[0]; g.inH = v[1]; g.inW = v[2]; g.inC = v[3]; g.outH = v[4]; g.outW = v[5]; g.outC = v[6];
  g.fH = v[7]; g.fW = v[8]; g.strideH = v[9]; g.strideW = v[10]; g.dilH = v[11]; g.dilW = v[12];
  g.padT = v[13]; g.padL = v[14]; g.depthwise = v[15];
  for (int k = 0; k < 13; k++) {
    if (v[k] < 1) throw std::runtime_error("delta-cuda: conv geometry field " + std::to_string(k) + " must be >= 1");
  }
  if (g.depthwise && g.outC % g.inC) throw std::runtime_error("delta-cuda: depthwise outC must be a multiple of inC");
  const double in = static_cast<double>(g.batch) * g.inH * g.inW, out = static_cast<double>(g.batch) * g.outH * g.outW;
  if (in * g.inC >= 2147483648.0 || out * g.outC >= 2147483648.0)
    throw std::runtime_error("delta-cuda: conv tensors of 2^31 or more elements are not supported");
  return g;
}

size_t inPixels(const ConvGeom& g) { return static_cast<size_t>(g.batch) * g.inH * g.inW; }
size_t outPixels(const ConvGeom& g) { return static_cast<size_t>(g.batch) * g.outH * g.outW; }

Napi::Value ConvMark(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = geomArg(info, 0);
    ConvMarkParams p{};
    p.list = bufArg<const int32_t>(info, 1, inPixels(g) * 4);
    p.count = wordArg(info, 2);
    p.stamp = bufArg<uint32_t>(info, 4, outPixels(g) * 4);
    p.gen = static_cast<uint32_t>(numArg(info, 5, 0));
    if (p.gen == 0) throw std::runtime_error("delta-cuda: deltaConvMark: generation must be nonzero");
    p.cand = bufArg<int32_t>(info, 6, outPixels(g) * 4);
    uint32_t* ctr = countersArg(info, 7);
    if (!ctr) throw std::runtime_error("delta-cuda: deltaConvMark needs a counter entry");
    p.candCount = ctr + counters::CAND;
    check(launchConvMark(g, p, Runtime::get().stream()), "deltaConvMark launch");
    return info.Env().Undefined();
  });
}

Napi::Value ConvCompute(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = geomArg(info, 0);
    const size_t P = outPixels(g);
    ConvComputeParams p{};
    p.x = bufArg<const float>(info, 1, inPixels(g) * g.inC * 4);
    p.w = bufArg<const float>(info, 2, static_cast<size_t>(g.fH) * g.fW * (g.depthwise ? g.outC : static_cast<size_t>(g.inC) * g.outC) * 4);
    p.bias = optBufArg<const float>(info, 3, static_cast<size_t>(g.outC) * 4);
    p.alpha = optBufArg<const float>(info, 4, static_cast<size_t>(g.outC) * 4);
    p.act = intArg(info, 5);
    if (p.act < ACT_LINEAR || p.act > ACT_TANH) throw std::runtime_error("delta-cuda: unknown activation " + std::to_string(p.act));
    if (p.act == ACT_PRELU && !p.alpha) throw std::runtime_error("delta-cuda: prelu needs its weights");
    p.leaky = numArg(info, 6, 0);
    p.cand = optBufArg<const int32_t>(info, 7, P * 4);
    uint32_t* ctr = countersArg(info, 8);
    if (p.cand && !ctr) throw std::runtime_error("delta-cuda: deltaConvCompute with candidates needs a counter entry");
    p.count = ctr ? ctr + counters::CAND : nullptr;
    p.macs = macsOf(ctr);
    p.e = bufArg<float>(info, 10, P * g.outC * 4);
    const bool fused = info.Length() > 11 && !info[11].IsUndefined();
    ConvTruncateParams t{};
    if (fused) {
      if (!p.cand) throw std::runtime_error("delta-cuda: deltaConvCompute: truncation needs candidates");
      t.vals = bufArg<float>(info, 11, P * g.outC * 4);
      t.thr = numArg(info, 12, 0);
      t.list = bufArg<int32_t>(info, 13, P * 4);
      t.listCount = ctr + counters::OUT;
      t.nonFinite = ctr + counters::NONFINITE;
      t.groups = bufArg<uint32_t>(info, 14, P * 4);
      // this step's mark stamps (optional): the depthwise kernel may then take candidates as row segments
      p.stamp = info.Length() > 15 ? optBufArg<const uint32_t>(info, 15, P * 4) : nullptr;
      if (p.stamp) {
        p.gen = static_cast<uint32_t>(numArg(info, 16, 0));
        if (p.gen == 0) throw std::runtime_error("delta-cuda: deltaConvCompute: generation must be nonzero");
      }
      // a mark-free step: the candidates are the input's update list, their count in its word (not the entry's CAND)
      if (info.Length() > 17 && !(info[17].IsNumber() && info[17].As<Napi::Number>().Uint32Value() == 0)) {
        p.count = wordArg(info, 17);
        p.countCopy = ctr + counters::CAND;
      }
    }
    check(launchConvCompute(g, p, fused ? &t : nullptr, Runtime::get().stream()), "deltaConvCompute launch");
    return info.Env().Undefined();
  });
}

}  // namespace

DELTA_CUDA_EXPORT("deltaConvMark", ConvMark);
DELTA_CUDA_EXPORT("deltaConvCompute", ConvCompute);

}  // namespace delta_cuda
