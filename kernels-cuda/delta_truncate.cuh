// Truncation of a delta step (DESIGN §3), shared by every delta-cuda kernel: the last launch of a step.
//
// For every candidate k (output pixel p = cand[k]) with exact values e[k, :] (from a compute kernel):
// the pixel is propagated when max_c |e - vals[p, c]| > thr, computed in double as delta-cpu does, or when
// a value is not finite (a NaN difference counts as a change). Propagated pixels are copied into the
// slot's values (in place: the propagated output) and appended to the update's list; the count goes to a
// device word. Inactive candidates keep their residual (|e - vals| <= thr), so for every frame
// |propagated - exact| <= thr, with no drift (the exact values are recomputed, never accumulated).
#pragma once
#include <cstdint>
#include <cuda_runtime_api.h>

namespace delta_cuda {

struct TruncateParams {
  float* vals;            // [pixels, channels]: propagated values, updated in place
  const float* e;         // [k, channels]: exact values of the candidates
  const int32_t* cand;    // candidates (output pixels), compact
  const uint32_t* count;  // device word: candidates
  int64_t pixels;         // capacity of cand / list (launch sizing)
  int32_t channels;
  double thr;
  int32_t* list;          // [pixels] capacity: propagated pixels, compact (the output update)
  uint32_t* listCount;    // device word
  uint32_t* nonFinite;    // device word, set nonzero when a non-finite value is propagated
};

cudaError_t launchTruncate(const TruncateParams& p, cudaStream_t stream);

// The diff pass of a step computed densely (the backend's dense kernel wrote every pixel's exact values into
// `out`, the step's output tensor): for the step's candidates (stamp == gen: the mark ran), the same rule as
// truncate, a propagated pixel is copied into vals and appended to the list; every other pixel gets its
// propagated values written back into out (the output holds propagated values, residuals are kept; a
// non-candidate's inputs did not change, so neither did its exact value, whatever the dense kernel's rounding).
// stamp == nullptr: every pixel is a candidate (a busy slot skips the mark: one pass, no receptive-field work).
struct DenseDiffParams {
  float* vals;            // [pixels, channels]
  float* out;             // [pixels, channels]: exact in, propagated out
  const uint32_t* stamp;  // [pixels], or nullptr: all pixels
  uint32_t gen;
  int64_t pixels;
  int32_t channels;
  double thr;
  int32_t* list;
  uint32_t* listCount;
  uint32_t* nonFinite;
};

cudaError_t launchDenseDiff(const DenseDiffParams& p, cudaStream_t stream);

}  // namespace delta_cuda
