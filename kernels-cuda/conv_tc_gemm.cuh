// conv2d on tensor cores with an asynchronous copy pipeline (sm_80+), shared by the dense conv
// (dense_conv_tc.cu: every output pixel) and the delta conv (delta_conv.cu: a compact list of candidate
// output pixels). Same GEMM view as dense_conv.cuh: row m = an output pixel (or candidate), column n = an
// output channel, k = (kh, kw, ci); A rows are gathered from x on the fly (im2col), W = the HWIO filter.
//
// Why another kernel beside dense_conv_tc.cu's convGemmTc: that one stages each K slice through registers
// (scalar loads, one slice in flight), so on the H100 it is load-latency bound and barely faster than the
// float32 SIMT kernel. Here every slice is copied global -> shared with 16-byte cp.async (4 input channels
// of one tap, or 4 output channels of one filter row), STAGES slices in flight across the block's items, zero-fill
// for padding and for rows / columns past the end. Needs inC % 4 == 0 and 16-byte aligned x (usable()); filters with
// outC % 4 != 0 (posenet's 17- and 34-channel heads; dense runs only) are copied 4 bytes at a time. (4-byte copies for inC % 4 != 0
// were tried on the first layer, 3 channels: slower than dense_conv_tc.cu's staged kernel, run 25; such layers take
// conv_small_k.cuh's float32 kernel now.)
//
// Values: each output sums k in increasing order of 8-wide mma steps (tf32: one product per term; tf32x3:
// small*big + big*small + big*big, dense_conv_tc.cu explains the split), or of 16-wide steps on fp16 operands
// (OP_F16: x and w rounded to fp16, products summed in float32); a row's value does not depend on
// which other rows share its tile, nor on the tile shape, so the dense run and every delta step compute the
// same value for the same input (exact mode sees no spurious change). Epilogue = delta_common.cuh's
// (tfjs-cpu expressions): bias added in float32, then the activation; prelu alpha indexed by n % alphaSize.
// With a Truncate: DESIGN §5's fused truncation, as delta_conv.cu's convGemm (the last column tile of a
// candidate group truncates the group). Kernel and launcher: conv_tc_gemm.cu.
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {
namespace tc {

struct Geom {
  int32_t batch, inH, inW, inC, outH, outW, outC, fH, fW, sH, sW, dH, dW, padT, padL;
};

struct Conv {
  Geom g;
  const float* x;
  const float* w;
  const float* bias;      // [outC] or null
  const float* alpha;     // prelu weights (alpha[n % alphaSize]) or null
  int32_t alphaSize;
  int32_t act;            // delta_common.cuh Activation
  double leaky;
  const int32_t* cand;    // candidate output pixels, or null: every output pixel, row k = pixel k
  const uint32_t* count;  // device word: candidates (ignored without cand)
  uint32_t* countCopy;    // or null: block 0 copies *count here (a mark-free step's CAND word)
  long long minRows, maxRows;  // this launch works when minRows <= rows < maxRows (tile shapes launched together)
  float* e;               // [rows, outC]
  unsigned long long* macs;  // device counter of multiply-accumulates (in-bounds taps x inC x outC), or null
};

struct Truncate {
  float* vals;
  double thr;
  int32_t* list;
  uint32_t* listCount;
  uint32_t* nonFinite;
  uint32_t* groups;  // modulo counters per candidate group (zeroed at seed)
};

inline bool aligned16(const void* q) { return (reinterpret_cast<uintptr_t>(q) & 15) == 0; }
// The layouts this kernel reads: x with 16-byte copies (inC % 4 == 0); w with 16-byte copies when outC % 4 == 0, else
// 4-byte ones (narrow heads: 17, 34 channels; dense runs only: in the delta instances the narrow path cost registers
// and spills, so delta steps of such layers take delta_conv.cu's SIMT kernels); e with float2 stores when outC is
// even, else floats.
inline bool usable(const Geom& g, const void* x, const void* w, const void* e, bool deltaStep) {
  const uintptr_t wa = reinterpret_cast<uintptr_t>(w), ea = reinterpret_cast<uintptr_t>(e);
  if (deltaStep && g.outC % 4 != 0) return false;
  return g.inC % 4 == 0 && aligned16(x) && (g.outC % 4 == 0 ? aligned16(w) : (wa & 3) == 0) &&
         (g.outC % 2 == 0 ? (ea & 7) == 0 : (ea & 3) == 0);
}

// Launches the tile shape(s) for the rows: a dense run (p.cand null) gets the shape that suits its row count;
// a delta step (count read on the device) gets a small-tile launch for few candidates and a big-tile one for
// many, each returning at once when the count is not its range. Call only when usable() holds and the device
// is sm_80+ (tensorCoreConvAvailable()). op: the operands' format.
enum Operands : int { OP_TF32 = 0, OP_TF32X3 = 1, OP_F16 = 2 };
cudaError_t launch(Conv p, const Truncate* t, int op, cudaStream_t s);
// The operand format of a conv precision setting (dense_conv.cuh ConvPrecision; not CP_FP32).
int operandsOf(int precision);

// The dense conv's choice between this kernel and dense_conv_tc.cu's register-staged one (A/B in benchmarks;
// default on).
void setPipelined(bool on);
bool pipelined();
// Tile-loop variants, for A/B in benchmarks/cuda-kernels (all compute the same values): 0 = the default: big tiles
// take K slices of 32 from K = 96, else 16, 3 in flight; small tiles slices of 32, 3 in flight from K = 256, else 16, 2
// in flight; 1 = slices of 16 (2 in flight) for both; 2 = big tiles' slices of 32; 3 = big tiles' slices of 16, 4 in
// flight. Built with DELTA_CUDA_BENCH_VARIANTS (conv_layers), small tiles: 4 = slices of 32, 2 in flight; 5 = slices of
// 32, 5 in flight; 6 = 16-row tiles, slices of 32, 3 in flight. (Runs 24-25 also tried tf32 rounded once in shared memory and 64 x 64 warp tiles: slower.)
void setVariant(int v);
bool benchVariantsBuilt();  // whether variants 4-6 exist in this build

}  // namespace tc

// dense_conv_tc.cu: the conv precision chosen by the backend (dense_conv.cuh ConvPrecision: 0 fp32 SIMT,
// 1 tf32x3, 2 tf32, 3 fp16) and whether the device has the tensor cores this kernel needs.
int convPrecisionSetting();
bool tensorCoreConvAvailable();
// Multiprocessors of the current device (cached; 80 if the query fails).
int multiprocessors();

}  // namespace delta_cuda
