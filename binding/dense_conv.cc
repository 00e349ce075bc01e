// Bindings of the dense convolutions, pooling and resizing (kernels-cuda/dense_conv.cuh,
// dense_pool_resize.cuh). Geometry comes as one Int32Array (see convGeom below).
#include "dense_args.h"
#include "registry.h"
#include "../kernels-cuda/dense_conv.cuh"
#include "../kernels-cuda/dense_pool_resize.cuh"

namespace delta_cuda {
namespace {

constexpr size_t kGeom = 16;

// geom = [N, H, W, C, OH, OW, OC, KH, KW, sh, sw, dh, dw, padT, padL, mult]
ConvGeom convGeom(const Napi::CallbackInfo& info, size_t i, const char* what) {
  const int32_t* v = intsArg(info, i, kGeom, what);
  ConvGeom g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  for (size_t k = 0; k < kGeom; k++) {
    if (k == 13 || k == 14) continue;  // pads may be negative only in odd tfjs cases; checked by the kernels' bounds
    if (v[k] < 0) throw std::runtime_error(std::string("delta-cuda: ") + what + ": negative geometry value");
  }
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1) throw std::runtime_error(std::string("delta-cuda: ") + what + ": strides and dilations must be >= 1");
  const int64_t in = static_cast<int64_t>(g.N) * g.H * g.W * g.C, out = static_cast<int64_t>(g.N) * g.OH * g.OW * g.OC;
  if (in >= (1ll << 31) || out >= (1ll << 31)) throw std::runtime_error(std::string("delta-cuda: ") + what + ": tensor of 2^31 or more elements");
  return g;
}

// Epilogue arguments at i: bias handle (0 = none), prelu alpha handle (0 = none), alphaSize, act, leaky.
Epilogue epilogue(const Napi::CallbackInfo& info, size_t i, int32_t oc) {
  Epilogue e{};
  e.bias = static_cast<const float*>(optDevArg(info, i, static_cast<size_t>(oc) * 4, "bias"));
  e.alphaSize = static_cast<int32_t>(numArg(info, i + 2, 0));
  e.alpha = static_cast<const float*>(optDevArg(info, i + 1, static_cast<size_t>(e.alphaSize) * 4, "prelu weights"));
  e.act = static_cast<int32_t>(numArg(info, i + 3, 0));
  e.leaky = static_cast<float>(numArg(info, i + 4, 0.2));
  if (e.act < A_LINEAR || e.act > A_SIGMOID) throw std::runtime_error("delta-cuda: unknown activation " + std::to_string(e.act));
  if (e.act == A_PRELU && (!e.alpha || e.alphaSize < 1)) throw std::runtime_error("delta-cuda: prelu needs its weights");
  return e;
}

// conv2d(x, w, y, geom, bias, alpha, alphaSize, act, leaky)
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = convGeom(info, 3, "conv2d");
    auto x = static_cast<const float*>(devArg(info, 0, static_cast<size_t>(g.N) * g.H * g.W * g.C * 4, "conv2d x"));
    auto w = static_cast<const float*>(devArg(info, 1, static_cast<size_t>(g.KH) * g.KW * g.C * g.OC * 4, "conv2d filter"));
    auto y = static_cast<float*>(devArg(info, 2, static_cast<size_t>(g.N) * g.OH * g.OW * g.OC * 4, "conv2d y"));
    const Epilogue e = epilogue(info, 4, g.OC);
    launchCheck(launchConv2d(x, w, y, g, e, Runtime::get().stream()), "conv2d launch");
    return info.Env().Undefined();
  });
}

// depthwise(x, w, y, geom, bias, alpha, alphaSize, act, leaky); geom OC = C * mult
Napi::Value Depthwise(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = convGeom(info, 3, "depthwise");
    if (g.mult < 1 || g.OC != g.C * g.mult) throw std::runtime_error("delta-cuda: depthwise: OC must be C * mult");
    auto x = static_cast<const float*>(devArg(info, 0, static_cast<size_t>(g.N) * g.H * g.W * g.C * 4, "depthwise x"));
    auto w = static_cast<const float*>(devArg(info, 1, static_cast<size_t>(g.KH) * g.KW * g.OC * 4, "depthwise filter"));
    auto y = static_cast<float*>(devArg(info, 2, static_cast<size_t>(g.N) * g.OH * g.OW * g.OC * 4, "depthwise y"));
    const Epilogue e = epilogue(info, 4, g.OC);
    launchCheck(launchDepthwise(x, w, y, g, e, Runtime::get().stream()), "depthwise launch");
    return info.Env().Undefined();
  });
}

// conv2dBackpropInput(dy, w, dx, geom): geom of the forward conv (H, W, C = dx; OH, OW, OC = dy)
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = convGeom(info, 3, "conv2dBackpropInput");
    auto dy = static_cast<const float*>(devArg(info, 0, static_cast<size_t>(g.N) * g.OH * g.OW * g.OC * 4, "dy"));
    auto w = static_cast<const float*>(devArg(info, 1, static_cast<size_t>(g.KH) * g.KW * g.C * g.OC * 4, "filter"));
    auto dx = static_cast<float*>(devArg(info, 2, static_cast<size_t>(g.N) * g.H * g.W * g.C * 4, "dx"));
    launchCheck(launchConv2dBackpropInput(dy, w, dx, g, Runtime::get().stream()), "conv2dBackpropInput launch");
    return info.Env().Undefined();
  });
}

// setConvPrecision(p): 0 fp32 (SIMT), 1 tf32x3 (tensor cores, float32 accuracy), 2 tf32, 3 fp16 operands; returns whether the
// device has tensor cores for it (sm_80+; otherwise every setting runs the SIMT kernel)
Napi::Value SetConvPrecision(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const int p = static_cast<int>(numArg(info, 0, -1));
    if (p < CP_FP32 || p > CP_FP16) throw std::runtime_error("delta-cuda: setConvPrecision: unknown precision " + std::to_string(p));
    setConvPrecision(p);
    return Napi::Boolean::New(info.Env(), tensorCoreConvAvailable());
  });
}

// pool(x, y, geom, isMax): geom OC = C; KH/KW are the effective (dilated) window
Napi::Value Pool(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    const ConvGeom g = convGeom(info, 2, "pool");
    auto x = static_cast<const float*>(devArg(info, 0, static_cast<size_t>(g.N) * g.H * g.W * g.C * 4, "pool x"));
    auto y = static_cast<float*>(devArg(info, 1, static_cast<size_t>(g.N) * g.OH * g.OW * g.C * 4, "pool y"));
    launchCheck(launchPool(x, y, g, info[3].ToBoolean().Value(), Runtime::get().stream()), "pool launch");
    return info.Env().Undefined();
  });
}

// resize(x, y, N, H, W, C, OH, OW, alignCorners, halfPixelCenters, nearest)
Napi::Value Resize(const Napi::CallbackInfo& info) {
  return guard(info, [&]() -> Napi::Value {
    ResizeParams p{};
    p.N = static_cast<int32_t>(sizeArg(info, 2, -1)); p.H = static_cast<int32_t>(sizeArg(info, 3, -1));
    p.W = static_cast<int32_t>(sizeArg(info, 4, -1)); p.C = static_cast<int32_t>(sizeArg(info, 5, -1));
    p.OH = static_cast<int32_t>(sizeArg(info, 6, -1)); p.OW = static_cast<int32_t>(sizeArg(info, 7, -1));
    if (static_cast<int64_t>(p.N) * p.OH * p.OW * p.C > 0 && (p.H == 0 || p.W == 0))
      throw std::runtime_error("delta-cuda: resize: empty input image");
    p.x = static_cast<const float*>(devArg(info, 0, static_cast<size_t>(p.N) * p.H * p.W * p.C * 4, "resize x"));
    p.y = static_cast<float*>(devArg(info, 1, static_cast<size_t>(p.N) * p.OH * p.OW * p.C * 4, "resize y"));
    p.alignCorners = info[8].ToBoolean().Value();
    p.halfPixelCenters = info[9].ToBoolean().Value();
    p.nearest = info[10].ToBoolean().Value();
    launchCheck(launchResize(p, Runtime::get().stream()), "resize launch");
    return info.Env().Undefined();
  });
}

}  // namespace

DELTA_CUDA_EXPORT("conv2d", Conv2d);
DELTA_CUDA_EXPORT("depthwise", Depthwise);
DELTA_CUDA_EXPORT("conv2dBackpropInput", Conv2dBackpropInput);
DELTA_CUDA_EXPORT("setConvPrecision", SetConvPrecision);
DELTA_CUDA_EXPORT("pool", Pool);
DELTA_CUDA_EXPORT("resize", Resize);

}  // namespace delta_cuda
