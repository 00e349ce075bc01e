// Elementwise delta kernels: Relu, Relu6, LeakyRelu, Elu, Sigmoid, Tanh (unary) and Add, Sub,
// Multiply (binary; an input may be the output's shape, one value per pixel, per channel, or a
// scalar). Output-stationary: an output pixel is a candidate where an input pixel changed (every
// pixel when a broadcast input changed) and is recomputed from the dense input values, so there is
// no accumulator and no drift. The epilogue truncates (max over channels |new - propagated| > thr),
// updates the slot's value buffer in place and appends propagated pixels to the output update.
// activation.wgsl is prepended.

// ---- mark: candidates from one input's changed pixels (dedup by generation stamps) -------------

struct MarkParams {
  count_idx: u32,   // meta index of the input's changed-pixel count
  all: u32,         // 1: broadcast input changed: every output pixel is a candidate
  out_pixels: u32,
  _pad: u32,
}

@group(0) @binding(10) var<uniform> mp: MarkParams;
@group(0) @binding(11) var<storage, read> in_list: array<u32>;
@group(0) @binding(12) var<storage, read_write> stamp: array<atomic<u32>>;
@group(0) @binding(13) var<storage, read_write> mark_cand: array<u32>;
@group(0) @binding(14) var<storage, read_write> mark_counts: array<atomic<u32>>;

fn add_candidate(o: u32, gen: u32) {
  if (atomicExchange(&stamp[o], gen) != gen) {
    let c = atomicAdd(&mark_counts[0], 1u);
    mark_cand[c] = o;
  }
}

@compute @workgroup_size(64)
fn mark(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let gen = atomicLoad(&mark_counts[6]);
  let stride = nwg.x * 64u;
  if (mp.all == 1u) {
    for (var k = gid.x; k < mp.out_pixels; k += stride) {
      add_candidate(k, gen);
    }
  } else {
    let n = atomicLoad(&mark_counts[mp.count_idx]);
    for (var k = gid.x; k < n; k += stride) {
      add_candidate(in_list[k], gen);
    }
  }
}

// ---- compute: recompute candidates, truncate, update values, append to the output update ------

struct PointwiseParams {
  pixels: u32,
  channels: u32,
  n_in: u32,
  op: u32,          // 0 unary activation, 1 add, 2 sub, 3 multiply
  act: u32,
  dense: u32,       // 1: seed: every pixel, no truncation, no update list
  mode0: u32,       // input index modes: 0 same shape, 1 per pixel, 2 per channel, 3 scalar
  mode1: u32,
  thr: f32,
  alpha: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> pp: PointwiseParams;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;
@group(0) @binding(4) var<storage, read> cand: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_list: array<u32>;
@group(0) @binding(6) var<storage, read_write> counts: array<atomic<u32>>;

fn at_index(mode: u32, p: u32, c: u32) -> u32 {
  switch (mode) {
    case 1u: { return p; }
    case 2u: { return c; }
    case 3u: { return 0u; }
    default: { return p * pp.channels + c; }
  }
}

fn value(p: u32, c: u32) -> f32 {
  let a = in0[at_index(pp.mode0, p, c)];
  switch (pp.op) {
    case 1u: { return a + in1[at_index(pp.mode1, p, c)]; }
    case 2u: { return a - in1[at_index(pp.mode1, p, c)]; }
    case 3u: { return a * in1[at_index(pp.mode1, p, c)]; }
    default: { return activate(a, pp.act, pp.alpha); }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 64u;
  let C = pp.channels;
  if (pp.dense == 1u) {
    for (var p = gid.x; p < pp.pixels; p += stride) {
      var bad = false;
      for (var c = 0u; c < C; c++) {
        let v = value(p, c);
        bad = bad || non_finite(v);
        values[p * C + c] = v;
      }
      if (bad) {
        atomicStore(&counts[7], 1u);
      }
    }
    return;
  }
  let n = atomicLoad(&counts[0]);
  for (var k = gid.x; k < n; k += stride) {
    let p = cand[k];
    var m = 0.0;
    for (var c = 0u; c < C; c++) {
      let d = abs(value(p, c) - values[p * C + c]);
      if (above(d, m)) {
        m = d;
      }
    }
    if (above(m, pp.thr)) {
      var bad = false;
      for (var c = 0u; c < C; c++) {
        let v = value(p, c);
        bad = bad || non_finite(v);
        values[p * C + c] = v;
      }
      if (bad) {
        atomicStore(&counts[7], 1u);  // the engine re-seeds the slot (PlaneResult.nonFinite)
      }
      let i = atomicAdd(&counts[4], 1u);
      out_list[i] = p;
    }
  }
}
