// Shared bookkeeping of the delta-webgpu data plane (src/webgpu/plane.ts): the per-slot `meta`
// buffer of device-side counts and indirect dispatch arguments, and the `args` entry point that
// turns counts into workgroup counts for dispatchWorkgroupsIndirect (so inactive work costs nothing).
//
// meta layout (u32 words; `begin` clears every word but GEN at the start of every delta step):
//   0  CAND       candidate output pixels appended by the mark passes
//   1-3 CAND_ARGS  indirect args of the compute pass (in the separate args buffer, same offsets);
//                 meta word 1 itself: 1 when the conv gate chose the dense compute (densediff.wgsl)
//   7  NONFINITE  1 when a NaN/Inf was seen or produced (the engine re-seeds the slot)
//   4  OUT        output pixels propagated by this step (the output update's count)
//   5  TAPS       conv: in-bounds filter taps summed over candidates (MACs = TAPS x per-tap MACs)
//   6  GEN        step generation: stamp[p] == GEN marks pixel p as a candidate of this step (begin: GEN++)
//   8+4i IN(i)    changed pixels of input i (sparsify, or copied from the producer's OUT)
//   9+4i..11+4i   indirect args of input i's mark pass (args buffer)

struct ArgsParams {
  mode: u32,        // 0: after sparsify (mark args per input); 1: compute args from CAND
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

// ---- begin: the first dispatch of a delta step ------------------------------------------------------
// Clears the step's counts (every meta word but GEN), GEN++ (a new candidate mask), and copies the
// change count of each input that comes with an update from its producer's meta (OUT, word 4) into
// IN(i): what host-side clearBuffer + copyBufferToBuffer did, without ending the compute pass (the
// plane records a frame's steps into tfjs-webgpu's open pass; copies and clears would split it).
// src_i: 0 = no update (0, or sparsify counts it), k = 1..4 the producer meta bound at src(k-1).

struct BeginParams {
  n_in: u32,
  src0: u32, src1: u32, src2: u32, src3: u32, src4: u32, src5: u32,
  words: u32,       // meta words (the buffer's length / 4)
}

@group(0) @binding(20) var<uniform> bp: BeginParams;
@group(0) @binding(21) var<storage, read_write> bcounts: array<u32>;
@group(0) @binding(22) var<storage, read> bsrc0: array<u32>;
@group(0) @binding(23) var<storage, read> bsrc1: array<u32>;
@group(0) @binding(24) var<storage, read> bsrc2: array<u32>;
@group(0) @binding(25) var<storage, read> bsrc3: array<u32>;

fn producer_out(k: u32) -> u32 {
  switch k {
    case 1u: { return bsrc0[4]; }
    case 2u: { return bsrc1[4]; }
    case 3u: { return bsrc2[4]; }
    case 4u: { return bsrc3[4]; }
    default: { return 0u; }
  }
}

@compute @workgroup_size(1)
fn begin() {
  let gen = bcounts[6] + 1u;
  for (var w = 0u; w < bp.words; w++) {
    bcounts[w] = 0u;
  }
  bcounts[6] = gen;
  var src = array<u32, 6>(bp.src0, bp.src1, bp.src2, bp.src3, bp.src4, bp.src5);
  for (var i = 0u; i < min(bp.n_in, 6u); i++) {
    bcounts[8u + 4u * i] = producer_out(src[i]);
  }
}

// ---- copy: dst = src (f32 words), grid-stride; a buffer copy inside the compute pass ----------------

struct CopyParams {
  n: u32,
  _a: u32, _b: u32, _c: u32,
}

@group(0) @binding(30) var<uniform> cpp: CopyParams;
@group(0) @binding(31) var<storage, read> csrc: array<u32>;
@group(0) @binding(32) var<storage, read_write> cdst: array<u32>;

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 64u;
  for (var i = gid.x; i < cpp.n; i += stride) {
    cdst[i] = csrc[i];
  }
}
