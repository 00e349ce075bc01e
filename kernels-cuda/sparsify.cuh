// sparsify: the input rule of the delta data plane (DESIGN.md §3, src/cpu/plane.ts `sparsify`).
//
// For a tensor laid out [pixels, channels] (NHWC flattened, channels innermost), float32:
//   a pixel p is ACTIVE when max_c |x[p,c] - base[p,c]| > thr   (NaN differences count as +Infinity)
// For every active pixel the kernel appends p to `idx`, writes delta[k, c] = x[p,c] - base[p,c] (k = its
// slot in the compact list) and copies x[p,:] into base[p,:]. Inactive pixels keep their residual.
// `count` (one uint32 on the device) receives the number of active pixels: it is reset by the launcher
// on the stream and filled by the kernel, so a later launch can size itself from it without the host.
//
// Exactness: the comparison is the one the JS reference makes in float64 (|x - b| computed in double,
// compared with the double threshold). The kernel compares in float32 against thrF = (float)thr, which
// decides every case except |fl32(x - b)| == thrF; only that tie is recomputed in double (see .cu).
// The deltas are fl32(x - b), which equals the reference's Float32Array store of the double difference.
//
// Order of the compact list: ascending within a block's tile of pixels, tiles in the order their
// blocks reached the atomic counter (not sorted across tiles). Consumers must not rely on order.
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

// Probe mode: the count comes back to the host without a copy. A 16-byte device state [count, blocksDone,
// nonFinite, result] that the kernel leaves zeroed (but `result`): count/nonFinite point at its first and third word.
// The last block to finish (blocksDone) takes the count and the NaN/Inf flag out of the state, keeps the count in
// `result` (for kernels queued after it: a list count), and writes {seq, count, nonFinite} to `report`, a mapped
// pinned host word group the host polls. Saves the copy + event round trip of a read-back (the first layer of every
// frame asks "did anything change?").
struct SparsifyReport {
  uint32_t seq;        // written last (after a system fence): the launch's reportSeq once count/nonFinite are valid
  uint32_t count;
  uint32_t nonFinite;
  uint32_t pad;
};

struct SparsifyParams {
  float* base;          // [pixels * channels], updated in place at active pixels
  const float* x;       // [pixels * channels]
  int64_t pixels;
  int32_t channels;     // >= 1
  double thr;           // the slot's threshold (JS number)
  int32_t* idx;         // [pixels] capacity: active pixel indices, compact
  float* delta;         // [pixels * channels] capacity: per-channel deltas, compact
  uint32_t* count;      // one device word: number of active pixels
  uint32_t* nonFinite;  // optional device word (nullptr: none): OR-ed with 1 when some x is NaN/Inf (a bad frame)
  bool countZeroed;     // the caller guarantees *count == 0 (a fresh counter entry): no clearing memset
  // probe mode (report != nullptr; see SparsifyReport): count = &state[0], nonFinite = &state[2]
  SparsifyReport* report;   // device address of mapped pinned host memory
  uint32_t reportSeq;
  uint32_t* blocksDone;     // &state[1]
  uint32_t* result;         // &state[3]
};

// Enqueues count = 0 (unless countZeroed) and the kernel on `stream`. Returns the launch error, if any.
cudaError_t launchSparsify(const SparsifyParams& p, cudaStream_t stream);

}  // namespace delta_cuda
