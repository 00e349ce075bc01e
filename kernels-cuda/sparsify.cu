// sparsify kernels: see sparsify.cuh for the contract. Two variants, chosen by the launcher:
//   tile  (channels <= TILE): a block takes P = TILE / channels whole pixels (P*C <= 2048 elements),
//         reads them coalesced (8 elements per thread, kept in registers), flags active pixels in
//         shared memory, scans the flags, reserves its slice of the compact list with ONE atomicAdd,
//         then writes indices, deltas (contiguous per active pixel) and the baseline.
//   wide  (channels > TILE): one block per pixel, channels looped, block-wide OR, one atomicAdd.
#include "sparsify.cuh"
#include <cmath>

namespace delta_cuda {
namespace {

constexpr int THREADS = 256;
constexpr int ITEMS = 8;
constexpr int TILE = THREADS * ITEMS;  // elements per block
constexpr int WARPS = THREADS / 32;

// |x - b| > thr as the JS reference computes it (double), decided in float except on a tie.
// d = fl32(x - b) = fl32(fl64(x - b)) (double rounding is innocuous for subtraction), and rounding is
// monotonic, so |d| > thrF implies |x-b| > thr and |d| < thrF implies |x-b| < thr. NaN: the reference
// takes the pixel's max as +Infinity, i.e. active iff Infinity > thr (nanActive, from the host).
__device__ __forceinline__ bool exceeds(float x, float b, float d, float thrF, double thr, bool nanActive) {
  const float ad = fabsf(d);
  if (ad > thrF) return true;
  if (ad == thrF) return fabs(static_cast<double>(x) - static_cast<double>(b)) > thr;
  return (d != d) && nanActive;
}

// Probe mode: called once per block by one thread, after the block's count and NaN/Inf atomics (made by this
// thread, or before a barrier by another thread whose atomic has returned). The last block reports and re-zeroes.
__device__ __forceinline__ void finishBlock(const SparsifyParams& p) {
  if (!p.report) return;
  __threadfence();
  if (atomicAdd(p.blocksDone, 1u) != gridDim.x - 1) return;
  __threadfence();  // every other block's count/nonFinite atomics are visible now
  const uint32_t n = atomicExch(p.count, 0u);
  const uint32_t bad = atomicExch(p.nonFinite, 0u);
  atomicExch(p.blocksDone, 0u);
  *p.result = n;
  volatile SparsifyReport* r = p.report;
  r->count = n;
  r->nonFinite = bad;
  __threadfence_system();  // count and flag reach the host before seq does
  r->seq = p.reportSeq;
}

__global__ void __launch_bounds__(THREADS) sparsifyTile(SparsifyParams p, float thrF, bool nanActive, int P) {
  __shared__ int sPos[TILE];        // per pixel of the tile: flag, then position in the block's slice (-1: inactive)
  __shared__ int sWarp[WARPS];
  __shared__ uint32_t sBase;
  __shared__ int sTotal;
  const int tid = threadIdx.x;
  const int C = p.channels;
  const int64_t p0 = static_cast<int64_t>(blockIdx.x) * P;
  const int np = static_cast<int>(min(static_cast<int64_t>(P), p.pixels - p0));
  const int E = np * C;
  const int64_t g0 = p0 * C;
  for (int i = tid; i < np; i += THREADS) sPos[i] = 0;
  __syncthreads();

  float xv[ITEMS], dv[ITEMS];
  int bad = 0;
#pragma unroll
  for (int k = 0; k < ITEMS; k++) {
    const int e = tid + k * THREADS;
    if (e < E) {
      const float xx = p.x[g0 + e];
      const float bb = p.base[g0 + e];
      const float d = xx - bb;
      xv[k] = xx;
      dv[k] = d;
      bad |= !isfinite(xx);
      if (exceeds(xx, bb, d, thrF, p.thr, nanActive)) sPos[e / C] = 1;  // same value from any thread
    }
  }
  if (__syncthreads_or(bad) && tid == 0 && p.nonFinite) atomicOr(p.nonFinite, 1u);

  // Exclusive scan of the pixel flags: thread t owns pixels [t*ppt, t*ppt + ppt).
  const int ppt = (np + THREADS - 1) / THREADS;
  const int lo = min(tid * ppt, np), hi = min(lo + ppt, np);
  int mine = 0;
  for (int i = lo; i < hi; i++) mine += sPos[i];
  const int lane = tid & 31, warp = tid >> 5;
  int incl = mine;
#pragma unroll
  for (int o = 1; o < 32; o <<= 1) {
    const int v = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o) incl += v;
  }
  if (lane == 31) sWarp[warp] = incl;
  __syncthreads();
  if (warp == 0) {
    int w = lane < WARPS ? sWarp[lane] : 0;
#pragma unroll
    for (int o = 1; o < WARPS; o <<= 1) {
      const int v = __shfl_up_sync(0xffffffffu, w, o);
      if (lane >= o) w += v;
    }
    if (lane < WARPS) sWarp[lane] = w;  // inclusive warp totals
  }
  __syncthreads();
  int run = incl - mine + (warp > 0 ? sWarp[warp - 1] : 0);
  for (int i = lo; i < hi; i++) sPos[i] = sPos[i] ? run++ : -1;
  if (tid == THREADS - 1) {
    const int total = run;  // the last thread's running position is the block total
    sTotal = total;
    if (total > 0) sBase = atomicAdd(p.count, static_cast<uint32_t>(total));
  }
  __syncthreads();
  if (tid == 0) finishBlock(p);  // (tid 0 made the NaN/Inf atomic; the count's was made before the barrier)
  if (sTotal == 0) return;
  const int64_t slice = sBase;
  for (int i = lo; i < hi; i++)
    if (sPos[i] >= 0) p.idx[slice + sPos[i]] = static_cast<int32_t>(p0 + i);
#pragma unroll
  for (int k = 0; k < ITEMS; k++) {
    const int e = tid + k * THREADS;
    if (e < E) {
      const int pix = e / C;
      const int q = sPos[pix];
      if (q >= 0) {
        p.delta[(slice + q) * C + (e - pix * C)] = dv[k];
        p.base[g0 + e] = xv[k];
      }
    }
  }
}

__global__ void __launch_bounds__(THREADS) sparsifyWide(SparsifyParams p, float thrF, bool nanActive) {
  __shared__ uint32_t sBase;
  const int C = p.channels;
  const int64_t pix = blockIdx.x;
  const int64_t g0 = pix * C;
  int act = 0, bad = 0;
  for (int c = threadIdx.x; c < C; c += THREADS) {
    const float xx = p.x[g0 + c], bb = p.base[g0 + c];
    bad |= !isfinite(xx);
    act |= exceeds(xx, bb, xx - bb, thrF, p.thr, nanActive);
  }
  if (__syncthreads_or(bad) && threadIdx.x == 0 && p.nonFinite) atomicOr(p.nonFinite, 1u);
  const bool any = __syncthreads_or(act);
  if (threadIdx.x == 0) {
    if (any) {
      sBase = atomicAdd(p.count, 1u);
      p.idx[sBase] = static_cast<int32_t>(pix);
    }
    finishBlock(p);
  }
  if (!any) return;
  __syncthreads();
  const int64_t o = static_cast<int64_t>(sBase) * C;
  for (int c = threadIdx.x; c < C; c += THREADS) {
    const float xx = p.x[g0 + c];
    p.delta[o + c] = xx - p.base[g0 + c];
    p.base[g0 + c] = xx;
  }
}

}  // namespace

cudaError_t launchSparsify(const SparsifyParams& p, cudaStream_t stream) {
  if (p.report && (!p.count || !p.nonFinite || !p.blocksDone || !p.result)) return cudaErrorInvalidValue;
  if (!p.countZeroed && !p.report) {
    cudaError_t err = cudaMemsetAsync(p.count, 0, sizeof(uint32_t), stream);
    if (err != cudaSuccess) return err;
  }
  if (p.pixels <= 0 || p.channels <= 0) return cudaSuccess;
  if (p.pixels > INT32_MAX) return cudaErrorInvalidValue;  // pixel indices are int32
  const float thrF = static_cast<float>(p.thr);              // round to nearest, as the proof in exceeds() needs
  const bool nanActive = INFINITY > p.thr;
  if (p.channels <= TILE) {
    const int P = TILE / p.channels;
    const int64_t blocks = (p.pixels + P - 1) / P;
    sparsifyTile<<<static_cast<unsigned>(blocks), THREADS, 0, stream>>>(p, thrF, nanActive, P);
  } else {
    sparsifyWide<<<static_cast<unsigned>(p.pixels), THREADS, 0, stream>>>(p, thrF, nanActive);
  }
  return cudaGetLastError();
}

}  // namespace delta_cuda
