// conv2d with few input channels: the RGB first layer of image models (PoseNet's 3x3 stride-2 3 -> 24, MoveNet's,
// BlazePose's), shared by the dense conv (dense_conv.cu launchConv2d: every output pixel) and the delta conv
// (delta_conv.cu: a compact list of candidates). Same launch record as conv_tc_gemm.cuh (tc::Conv, tc::Truncate).
//
// Why a kernel of its own: with K = fH*fW*inC = 27 and 24 output channels the GEMM kernels waste most of their
// tiles (K slices of 16/32 over 27, column tiles of 64 over 24; the tensor-core one cannot take inC % 4 != 0 with
// 16-byte copies at all), so the first layer took 0.90 ms of PoseNet's 7.7 ms of convs at 32 streams of 769x577
// (benchmarks/results/cuda-kernels-h100 run 25) where its bytes need ~0.17 ms. Here a 128-thread block takes 128
// rows (output pixels or candidates); thread r gathers row r's K inputs (its own column of shared memory, zeros
// for padding), multiplies them with the filter (all of it in shared memory, read as broadcast float4s) into
// OCB accumulators per pass of output channels, and the tile goes out through shared memory with coalesced
// stores (rows of a work item are contiguous in y / e).
//
// Values: float32 FMAs, k = (kh, kw, ci) in increasing order from 0, zeros for out-of-bounds taps: the same sums,
// bit for bit, as the SIMT kernels (dense_conv.cu convGemm, delta_conv.cu convCompute / convGemm) and whatever
// the conv precision setting: the dense run and every delta step of such a layer agree exactly (exact mode sees
// no spurious change), and the first layer keeps float32 accuracy under tf32. Epilogue = delta_common.cuh's
// (tfjs-cpu expressions): bias added in float32, then the activation; prelu alpha indexed by n % alphaSize.
// With a Truncate: DESIGN §5's fused truncation; a block owns its rows' every channel, so it truncates them
// itself (no group counters).
#pragma once
#include <cuda_runtime_api.h>
#include "conv_tc_gemm.cuh"

namespace delta_cuda {
namespace smallk {

constexpr int ROWS = 128;         // rows per work item = threads per block
constexpr int MAX_IN_CHANNELS = 4;
constexpr int MAX_K = 64;         // fH * fW * inC
constexpr int MAX_SMEM = 95 * 1024;  // dynamic shared memory (opted in above 48 KiB), less the kernel's static 640 bytes

// The layers this kernel takes (both the dense conv and the delta conv ask this, so that a layer's dense run
// and its delta steps use the same kernel): inC <= 4, K <= 64, the filter and the row tile within 95 KiB of
// shared memory, 32-bit sizes.
bool usable(const tc::Geom& g);
// p.minRows / maxRows are ignored; t == nullptr: values only. Call only when usable(p.g).
cudaError_t launch(const tc::Conv& p, const tc::Truncate* t, cudaStream_t s);

// Off: layers go to the GEMM kernels as before (A/B in benchmarks/cuda-kernels; default on).
void setEnabled(bool on);
bool enabled();
// (Run 27 also tried this kernel on every layer with K <= 64, the 24- and 48-channel pointwise ones included: slower
// than the tensor-core kernel there, 7.68 vs 6.93 ms for the model at 32 streams; removed.)

}  // namespace smallk
}  // namespace delta_cuda
