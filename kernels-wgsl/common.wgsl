// Shared bookkeeping of the delta-webgpu data plane (src/webgpu/plane.ts): the per-slot `meta`
// buffer of device-side counts and indirect dispatch arguments, and the `args` entry point that
// turns counts into workgroup counts for dispatchWorkgroupsIndirect (so inactive work costs nothing).
//
// meta layout (u32 words; the host clears 0..5 and 8..23 at the start of every delta step):
//   0  CAND       candidate output pixels appended by the mark passes
//   1-3 CAND_ARGS  indirect args of the compute pass (in the separate args buffer, same offsets);
//                 meta word 1 itself: 1 when the conv gate chose the dense compute (densediff.wgsl)
//   7  NONFINITE  1 when a NaN/Inf was seen or produced (the engine re-seeds the slot)
//   4  OUT        output pixels propagated by this step (the output update's count)
//   5  TAPS       conv: in-bounds filter taps summed over candidates (MACs = TAPS x per-tap MACs)
//   6  GEN        step generation: stamp[p] == GEN marks pixel p as a candidate of this step
//   8+4i IN(i)    changed pixels of input i (sparsify, or copied from the producer's OUT)
//   9+4i..11+4i   indirect args of input i's mark pass (args buffer)

struct ArgsParams {
  mode: u32,        // 0: after sparsify (GEN++, mark args per input); 1: compute args from CAND
  n_in: u32,
  in_div: u32,      // invocations per workgroup of the mark pass
  cand_div: u32,    // candidates per workgroup of the compute pass
  cap: u32,         // max workgroups per dispatch (grid-stride loops cover the rest)
  bcast_mask: u32,  // bit i: input i is broadcast over the output (any change marks every pixel)
  bcast_wgs: u32,   // workgroups of a mark-all pass
  _pad: u32,
}

@group(0) @binding(0) var<uniform> ap: ArgsParams;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
// Indirect args live in their own buffer with the same word offsets: a buffer may not be INDIRECT and
// writable storage in one dispatch (one usage scope), and the dispatches using the args write counts.
@group(0) @binding(2) var<storage, read_write> args_out: array<u32>;

fn groups(n: u32, div: u32) -> u32 {
  return min((n + div - 1u) / div, ap.cap);
}

@compute @workgroup_size(1)
fn args() {
  if (ap.mode == 0u) {
    counts[6] = counts[6] + 1u;
    for (var i = 0u; i < ap.n_in; i++) {
      let c = counts[8u + 4u * i];
      var g = groups(c, ap.in_div);
      if (((ap.bcast_mask >> i) & 1u) != 0u) {
        g = select(0u, ap.bcast_wgs, c > 0u);
      }
      args_out[9u + 4u * i] = g;
      args_out[10u + 4u * i] = 1u;
      args_out[11u + 4u * i] = 1u;
    }
  } else {
    args_out[1] = groups(counts[0], ap.cand_div);
    args_out[2] = 1u;
    args_out[3] = 1u;
  }
}
