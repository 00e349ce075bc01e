// Kernel-level timing of delta-cuda's dense conv kernels on PoseNet's layers (MobileNetV1 0.75, output stride
// 16), no Node: the conv and depthwise layers of one frame at a batch of B streams, each launched alone and
// timed with CUDA events (median of REPS after WARMUP), for each conv precision / kernel, with the largest
// error against a float64 CPU reference on sampled output pixels. Depthwise layers: the 4-outputs-per-thread
// kernel and the one-output kernel (first two columns). What the per-layer profile of the model
// bench cannot give: an A/B of kernels on the same buffers, without the host's per-call work.
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -DDELTA_CUDA_BENCH_VARIANTS -o conv_layers benchmarks/cuda-kernels/conv_layers.cu \
//     kernels-cuda/dense_conv.cu kernels-cuda/dense_conv_tc.cu kernels-cuda/conv_tc_gemm.cu kernels-cuda/conv_small_k.cu
//   ./conv_layers [B] [H] [W] [json-out] [layer-name-part]     (default 32 577 769: vtest.avi's 769x577)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include <cuda_runtime.h>
#include "../../kernels-cuda/dense_conv.cuh"
#include "../../kernels-cuda/conv_tc_gemm.cuh"
#include "../../kernels-cuda/conv_small_k.cuh"

using namespace delta_cuda;

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); exit(1); } } while (0)

// headsAsOne: posenet's four heads as one GEMM (their common input, the filters side by side: 17 + 34 + 32 + 32 = 115
// columns), an experiment: not in the conv totals, and the whole frame runs either it or the four heads.
struct Layer { std::string name; bool depthwise; int inH, inW, inC, outC, k, s, d; bool headsAsOne = false; };

static int outSize(int in, int s) { return (in + s - 1) / s; }
static int padBefore(int in, int out, int k, int s, int d) { return std::max((out - 1) * s + (k - 1) * d + 1 - in, 0) / 2; }

static std::vector<Layer> posenetLayers(int H, int W) {
  std::vector<Layer> L;
  int h = H, w = W;
  auto conv = [&](const std::string& n, int inC, int outC, int k, int s, int d) {
    L.push_back({n, false, h, w, inC, outC, k, s, d});
    h = outSize(h, s); w = outSize(w, s);
  };
  auto dw = [&](const std::string& n, int C, int s, int d) {
    L.push_back({n, true, h, w, C, C, 3, s, d});
    h = outSize(h, s); w = outSize(w, s);
  };
  conv("conv0 3x3/2", 3, 24, 3, 2, 1);
  const int spec[13][3] = {{48, 1, 1}, {96, 2, 1}, {96, 1, 1}, {192, 2, 1}, {192, 1, 1}, {384, 2, 1}, {384, 1, 1},
                           {384, 1, 1}, {384, 1, 1}, {384, 1, 1}, {384, 1, 1}, {768, 1, 1}, {768, 1, 2}};
  int c = 24;
  for (int i = 0; i < 13; i++) {
    dw("dw" + std::to_string(i + 1) + (spec[i][1] == 2 ? "/2" : ""), c, spec[i][1], spec[i][2]);
    conv("pw" + std::to_string(i + 1) + " " + std::to_string(c) + "->" + std::to_string(spec[i][0]), c, spec[i][0], 1, 1, 1);
    c = spec[i][0];
  }
  for (int oc : {17, 34, 32, 32}) { L.push_back({"head ->" + std::to_string(oc), false, h, w, c, oc, 1, 1, 1}); }
  L.push_back({"heads-as-one ->115", false, h, w, c, 115, 1, 1, 1, true});
  return L;
}

static ConvGeom geomOf(const Layer& l, int B) {
  ConvGeom g{};
  g.N = B; g.H = l.inH; g.W = l.inW; g.C = l.inC;
  g.OH = outSize(l.inH, l.s); g.OW = outSize(l.inW, l.s); g.OC = l.outC;
  g.KH = g.KW = l.k; g.sh = g.sw = l.s; g.dh = g.dw = l.d;
  g.padT = padBefore(l.inH, g.OH, l.k, l.s, l.d); g.padL = padBefore(l.inW, g.OW, l.k, l.s, l.d);
  g.mult = 1;
  return g;
}

// Median over reps of launch()'s time on stream st between two events (each rep waits for its end).
template <typename F>
static double medianEventMs(cudaStream_t st, cudaEvent_t e0, cudaEvent_t e1, int reps, F&& launch) {
  std::vector<float> t;
  for (int i = 0; i < reps; i++) {
    CK(cudaEventRecord(e0, st));
    launch();
    CK(cudaEventRecord(e1, st));
    CK(cudaEventSynchronize(e1));
    float v;
    CK(cudaEventElapsedTime(&v, e0, e1));
    t.push_back(v);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static uint64_t rngState = 12345;
static float rnd() { rngState = rngState * 6364136223846793005ull + 1442695040888963407ull; return ((rngState >> 40) & 0xffffff) / 16777216.f * 2.f - 1.f; }

// n uniform values in [-scale, scale).
static std::vector<float> randomValues(size_t n, float scale) {
  std::vector<float> v(n);
  for (auto& e : v) e = rnd() * scale;
  return v;
}
// A layer's filter (scaled by 1 / sqrt(fan-in): outputs of the inputs' magnitude) and bias.
static std::vector<float> randomFilter(const Layer& l) {
  const int fanIn = l.k * l.k * (l.depthwise ? 1 : l.inC);
  return randomValues((size_t)fanIn * (l.depthwise ? l.inC : l.outC), 1.f / std::sqrt((float)fanIn));
}
static std::vector<float> randomBias(const Layer& l) { return randomValues(l.outC, 0.1f); }
// A device copy of h (cudaMalloc'd: the caller frees it).
static float* toDevice(const std::vector<float>& h) {
  float* d = nullptr;
  CK(cudaMalloc(&d, h.size() * 4));
  CK(cudaMemcpy(d, h.data(), h.size() * 4, cudaMemcpyHostToDevice));
  return d;
}

int main(int argc, char** argv) {
  const int B = argc > 1 ? atoi(argv[1]) : 32, H = argc > 2 ? atoi(argv[2]) : 577, W = argc > 3 ? atoi(argv[3]) : 769;
  const char* jsonOut = argc > 4 && argv[4][0] ? argv[4] : nullptr;
  const std::string only = argc > 5 ? argv[5] : "";  // run only the layers whose name contains this (profiling)
  const int WARMUP = 3, REPS = 15;
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("device %s, B=%d, input %dx%d (HxW)\n", prop.name, B, H, W);
  std::vector<Layer> layers;
  for (const Layer& l : posenetLayers(H, W)) if (only.empty() || l.name.find(only) != std::string::npos) layers.push_back(l);
  // variant: conv_tc_gemm.cuh setVariant (0 = default, 1 = K slices of 16, 2 = slices of 32, 3 = 4 slices in flight)
  // smallK: conv_small_k.cuh takes the layers with few input channels (conv0); off: the GEMM kernels as before
  struct Mode { const char* name; int precision; bool pipelined; int variant; bool smallK; };
  const Mode modes[] = {{"fp32", CP_FP32, true, 0, true}, {"tf32-staged", CP_TF32, false, 0, true}, {"tf32", CP_TF32, true, 0, true},
                        {"tf32-bk16", CP_TF32, true, 1, true}, {"tf32-bk32", CP_TF32, true, 2, true}, {"tf32-4stages", CP_TF32, true, 3, true},
                        {"tf32x3-staged", CP_TF32X3, false, 0, true}, {"tf32x3", CP_TF32X3, true, 0, true},
                        {"fp32-noSmallK", CP_FP32, true, 0, false}, {"tf32-noSmallK", CP_TF32, true, 0, false},
                        {"fp16", CP_FP16, true, 0, true},
                        // small-tile shapes below 4096 rows (batch 1's deep layers), in fp16: under tf32 such dense runs
                        // take dense_conv_tc.cu's staged kernel. fp16-bk16: the small shape before deep slices (slices
                        // of 16 everywhere); then conv_tc_gemm.cuh setVariant 4-6 (DELTA_CUDA_BENCH_VARIANTS builds only)
                        {"fp16-bk16", CP_FP16, true, 1, true},
                        {"fp16-s32x3", CP_FP16, true, 4, true}, {"fp16-s32x6", CP_FP16, true, 5, true}, {"fp16-r16", CP_FP16, true, 6, true}};
  // without DELTA_CUDA_BENCH_VARIANTS variants 4-6 do not exist: their columns would repeat the default
  const int NM = sizeof(modes) / sizeof(modes[0]) - (tc::benchVariantsBuilt() ? 0 : 3);
  std::vector<std::vector<double>> ms(layers.size(), std::vector<double>(NM, 0.0)), err(layers.size(), std::vector<double>(NM, 0.0));
  cudaStream_t st;
  CK(cudaStreamCreate(&st));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  for (size_t li = 0; li < layers.size(); li++) {
    const Layer& l = layers[li];
    const ConvGeom g = geomOf(l, B);
    const size_t ny = (size_t)B * g.OH * g.OW * l.outC;
    const std::vector<float> hx = randomValues((size_t)B * l.inH * l.inW * l.inC, 3.f);  // relu6 activations: 0..6-ish
    const std::vector<float> hw = randomFilter(l), hb = randomBias(l);
    std::vector<float> hy(ny);
    float *dx = toDevice(hx), *dw = toDevice(hw), *db = toDevice(hb), *dy = nullptr;
    CK(cudaMalloc(&dy, ny * 4));
    Epilogue ep{db, nullptr, 0, A_LINEAR, 0.f};  // linear: the error check sees the raw sums
    for (int mi = 0; mi < NM; mi++) {
      if (l.depthwise && mi > 1) break;
      setDepthwiseRows(mi == 0);  // depthwise layers: column 0 = 4 outputs per thread, column 1 = one per thread
      setConvPrecision(modes[mi].precision);
      tc::setPipelined(modes[mi].pipelined);
      tc::setVariant(modes[mi].variant);
      smallk::setEnabled(modes[mi].smallK);
      auto run = [&]() { CK(l.depthwise ? launchDepthwise(dx, dw, dy, g, ep, st) : launchConv2d(dx, dw, dy, g, ep, st)); };
      for (int i = 0; i < WARMUP; i++) run();
      CK(cudaStreamSynchronize(st));
      ms[li][mi] = medianEventMs(st, e0, e1, REPS, run);
      CK(cudaMemcpy(hy.data(), dy, ny * 4, cudaMemcpyDeviceToHost));
      // float64 reference on 97 sampled output pixels, every channel; error relative to sum |x w| (the scale
      // a float32 sum's rounding is proportional to)
      double worst = 0;
      const size_t P = (size_t)B * g.OH * g.OW;
      for (int sIdx = 0; sIdx < 97; sIdx++) {
        const size_t pix = (size_t)((sIdx * 2654435761ull) % P);
        const int b = (int)(pix / ((size_t)g.OH * g.OW)), r = (int)(pix % ((size_t)g.OH * g.OW)), oy = r / g.OW, ox = r % g.OW;
        for (int oc = 0; oc < l.outC; oc++) {
          double ref = hb[oc], mag = std::fabs(hb[oc]);
          for (int kh = 0; kh < l.k; kh++) for (int kw = 0; kw < l.k; kw++) {
            const int iy = oy * l.s - g.padT + kh * l.d, ix = ox * l.s - g.padL + kw * l.d;
            if (iy < 0 || iy >= l.inH || ix < 0 || ix >= l.inW) continue;
            const float* xp = &hx[(((size_t)b * l.inH + iy) * l.inW + ix) * l.inC];
            if (l.depthwise) { const double p = (double)xp[oc] * hw[(kh * l.k + kw) * l.inC + oc]; ref += p; mag += std::fabs(p); }
            else for (int ci = 0; ci < l.inC; ci++) { const double p = (double)xp[ci] * hw[((size_t)(kh * l.k + kw) * l.inC + ci) * l.outC + oc]; ref += p; mag += std::fabs(p); }
          }
          worst = std::max(worst, std::fabs(hy[pix * l.outC + oc] - ref) / (mag + 1e-30));
        }
      }
      err[li][mi] = worst;
    }
    CK(cudaFree(dx)); CK(cudaFree(dw)); CK(cudaFree(db)); CK(cudaFree(dy));
  }
  printf("%-16s %5s %9s", "layer", "kind", "MMAC");
  for (int mi = 0; mi < NM; mi++) printf(" %14s", modes[mi].name);
  printf("   (ms median; [rel err]; depthwise rows: 4-outputs kernel, then the one-output kernel)\n");
  std::vector<double> total(NM, 0.0);
  double dwTotal = 0, dwOneTotal = 0;
  for (size_t li = 0; li < layers.size(); li++) {
    const Layer& l = layers[li];
    const double mac = (double)B * outSize(l.inH, l.s) * outSize(l.inW, l.s) * l.k * l.k * (l.depthwise ? 1 : l.inC) * l.outC / 1e6;
    printf("%-16s %5s %9.0f", l.name.c_str(), l.depthwise ? "dw" : "conv", mac);
    for (int mi = 0; mi < NM; mi++) {
      if (l.depthwise && mi > 1) { printf(" %14s", "-"); continue; }
      printf("  %6.3f[%.0e]", ms[li][mi], err[li][mi]);
      if (!l.depthwise && !l.headsAsOne) total[mi] += ms[li][mi];
    }
    if (l.depthwise) { dwTotal += ms[li][0]; dwOneTotal += ms[li][1]; }
    printf("\n");
  }
  printf("conv total (the four heads, not heads as one):");
  for (int mi = 0; mi < NM; mi++) printf("  %s %.3f", modes[mi].name, total[mi]);
  printf("\ndepthwise total: rows (4 outputs / thread) %.3f, one output / thread %.3f\n", dwTotal, dwOneTotal);
  FILE* const json = jsonOut ? fopen(jsonOut, "w") : nullptr;  // written in parts: layers, frame rows
  if (json) {
    FILE* f = json;
    fprintf(f, "{\"device\":\"%s\",\"batch\":%d,\"H\":%d,\"W\":%d,\"warmup\":%d,\"reps\":%d,\"modes\":[", prop.name, B, H, W, WARMUP, REPS);
    for (int mi = 0; mi < NM; mi++) fprintf(f, "%s\"%s\"", mi ? "," : "", modes[mi].name);
    fprintf(f, "],\"layers\":[");
    for (size_t li = 0; li < layers.size(); li++) {
      const Layer& l = layers[li];
      fprintf(f, "%s{\"name\":\"%s\",\"depthwise\":%s,\"inH\":%d,\"inW\":%d,\"inC\":%d,\"outC\":%d,\"k\":%d,\"s\":%d,\"d\":%d,\"ms\":[", li ? "," : "",
              l.name.c_str(), l.depthwise ? "true" : "false", l.inH, l.inW, l.inC, l.outC, l.k, l.s, l.d);
      const int n = l.depthwise ? 2 : NM;
      for (int mi = 0; mi < n; mi++) fprintf(f, "%s%.4f", mi ? "," : "", ms[li][mi]);
      fprintf(f, "],\"relErr\":[");
      for (int mi = 0; mi < n; mi++) fprintf(f, "%s%.3g", mi ? "," : "", err[li][mi]);
      fprintf(f, "]}");
    }
    fprintf(f, "]");
  }
  // The whole frame: every layer chained (trunk relu6, the heads reading the last trunk output), launched
  // back to back from this host thread (eager) and as one captured CUDA graph, per precision. What the
  // per-layer times above cannot tell: how much of a small batch's frame is launch gaps rather than kernels,
  // i.e. the floor a frame graph of these kernels would reach. Skipped when only some layers run.
  if (only.empty()) {
    std::vector<float*> outs(layers.size()), ws(layers.size()), bs(layers.size());
    std::vector<ConvGeom> geoms(layers.size());
    std::vector<bool> head(layers.size());
    const Layer& l0 = layers[0];
    float* const input = toDevice(randomValues((size_t)B * l0.inH * l0.inW * l0.inC, 1.f));
    const float* trunk = input;  // the output of the last layer before the heads: their common input
    for (size_t li = 0; li < layers.size(); li++) {
      const Layer& l = layers[li];
      geoms[li] = geomOf(l, B);
      ws[li] = toDevice(randomFilter(l));
      bs[li] = toDevice(randomBias(l));
      CK(cudaMalloc(&outs[li], (size_t)B * geoms[li].OH * geoms[li].OW * l.outC * 4));
      head[li] = l.name.rfind("head", 0) == 0;
      if (!head[li]) trunk = outs[li];
    }
    // headsAsOne: the frame with the four heads as one GEMM instead of four
    auto frameWith = [&](bool headsAsOne) {
      const float* x = input;
      for (size_t li = 0; li < layers.size(); li++) {
        const Layer& l = layers[li];
        if (head[li] && l.headsAsOne != headsAsOne) continue;
        Epilogue ep{bs[li], nullptr, 0, head[li] ? A_LINEAR : A_RELU6, 0.f};
        const float* in = head[li] ? trunk : x;
        CK(l.depthwise ? launchDepthwise(in, ws[li], outs[li], geoms[li], ep, st) : launchConv2d(in, ws[li], outs[li], geoms[li], ep, st));
        x = outs[li];
      }
    };
    size_t launches = 0;
    for (size_t li = 0; li < layers.size(); li++) launches += !layers[li].headsAsOne;
    struct FrameRow { std::string name; double eager, graph, graphWall; };
    std::vector<FrameRow> rows;
    setDepthwiseRows(true);
    tc::setPipelined(true);
    smallk::setEnabled(true);
    std::vector<int> frameModes = {2, 10};  // tf32, fp16, and the fp16 small-tile variants
    for (int mi = 11; mi < NM; mi++) frameModes.push_back(mi);
    for (int fm : frameModes) for (bool headsAsOne : {false, true}) {
      const Mode& m = modes[fm];
      auto frame = [&]() { frameWith(headsAsOne); };
      setConvPrecision(m.precision);
      tc::setVariant(m.variant);
      for (int i = 0; i < WARMUP; i++) frame();
      CK(cudaStreamSynchronize(st));
      const double eager = medianEventMs(st, e0, e1, REPS * 2, frame);
      cudaGraph_t graph;
      cudaGraphExec_t exec;
      CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal));
      frame();
      CK(cudaStreamEndCapture(st, &graph));
      CK(cudaGraphInstantiate(&exec, graph, 0));
      for (int i = 0; i < WARMUP; i++) CK(cudaGraphLaunch(exec, st));
      CK(cudaStreamSynchronize(st));
      const double graphMs = medianEventMs(st, e0, e1, REPS * 2, [&]() { CK(cudaGraphLaunch(exec, st)); });
      // host view at one frame per synchronisation (what an app at batch 1 waits for)
      std::vector<double> wall;
      for (int i = 0; i < REPS * 2; i++) {
        const auto t0 = std::chrono::steady_clock::now();
        CK(cudaGraphLaunch(exec, st));
        CK(cudaStreamSynchronize(st));
        wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(wall.begin(), wall.end());
      rows.push_back({std::string(m.name) + (headsAsOne ? " heads-as-one" : ""), eager, graphMs, wall[wall.size() / 2]});
      CK(cudaGraphExecDestroy(exec));
      CK(cudaGraphDestroy(graph));
    }
    printf("frame (%zu launches, chained; heads-as-one: %zu):", launches, launches - 3);
    for (const FrameRow& r : rows) printf("  %s eager %.3f graph %.3f graph+sync wall %.3f", r.name.c_str(), r.eager, r.graph, r.graphWall);
    printf("\n");
    if (json) {
      FILE* f = json;
      fprintf(f, ",\"frame\":[");
      for (size_t i = 0; i < rows.size(); i++)
        fprintf(f, "%s{\"mode\":\"%s\",\"eagerMs\":%.4f,\"graphMs\":%.4f,\"graphSyncWallMs\":%.4f}", i ? "," : "", rows[i].name.c_str(),
                rows[i].eager, rows[i].graph, rows[i].graphWall);
      fprintf(f, "]");
    }
    for (size_t li = 0; li < layers.size(); li++) { CK(cudaFree(outs[li])); CK(cudaFree(ws[li])); CK(cudaFree(bs[li])); }
    CK(cudaFree(input));
  }
  if (json) {
    fprintf(json, "}\n");
    fclose(json);
  }
  return 0;
}
