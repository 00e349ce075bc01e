// The shared epilogue of the "gather" delta kernels (pool, resize, concat, pad, mean, transposed conv,
// prelu, addn, batch norm; src/webgpu/gather.ts). A family file (pool.wgsl, ...) is prepended: it
// defines `fn exact(op: u32, c: u32) -> f32` (channel c of output pixel op, recomputed from the dense
// inputs in0..in3) and `fn work(op: u32) -> u32` (MAC units of that pixel, summed into counts[5]).
// Output-stationary like conv.wgsl: one workgroup per output pixel (channels across invocations),
// truncation (max over channels |exact - propagated| > thr), in-place value update, append to the
// output update, and the non-finite flag (counts[7]) for the engine's re-seed (PlaneResult.nonFinite).

// Parameters: 64 words. Header 0..7 (below), the family's own from word 8 (see its file).
//   0 pixels (output pixels, or what mode 1/2 iterate)   1 channels (output)
//   2 mode: 0 candidates of this step (counts[0], indirect), 1 dense seed (every pixel, no truncation,
//           no list), 2 every pixel with truncation and list (Mean's second pass)
//   3 thr (f32)   4 -Infinity (f32; WGSL has no infinite constants)
struct GatherParams {
  v: array<vec4<u32>, 16>,
}

@group(0) @binding(0) var<uniform> gp: GatherParams;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read> in2: array<f32>;
@group(0) @binding(4) var<storage, read> in3: array<f32>;
@group(0) @binding(5) var<storage, read_write> values: array<f32>;
@group(0) @binding(6) var<storage, read> cand: array<u32>;
@group(0) @binding(7) var<storage, read_write> out_list: array<u32>;
@group(0) @binding(8) var<storage, read_write> counts: array<atomic<u32>>;

fn P(i: u32) -> u32 {
  return gp.v[i >> 2u][i & 3u];
}
fn Pi(i: u32) -> i32 {
  return bitcast<i32>(P(i));
}
fn Pf(i: u32) -> f32 {
  return bitcast<f32>(P(i));
}

// NaN or +-Inf, by the bits (a compiler may assume finite floats in comparisons).
fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}
fn is_nan_bits(v: f32) -> bool {
  let b = bitcast<u32>(v);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}
// a > b, or a is NaN (NaN differences are always changes)
fn above(a: f32, b: f32) -> bool {
  return is_nan_bits(a) || a > b;
}

const GATHER_MAX_C: u32 = 1024u;
var<workgroup> ex: array<f32, GATHER_MAX_C>;
var<workgroup> red: array<f32, 64>;
var<workgroup> wg_n: u32;
var<workgroup> wg_nf: atomic<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let mode = P(2);
  let C = P(1);
  let thr = Pf(3);
  if (lid == 0u) {
    wg_n = select(P(0), atomicLoad(&counts[0]), mode == 0u);
    if (mode == 2u && atomicLoad(&counts[0]) == 0u) {
      wg_n = 0u;  // no candidate row: nothing to do (a step without change costs ~nothing)
    }
    atomicStore(&wg_nf, 0u);
  }
  let n = workgroupUniformLoad(&wg_n);
  var units = 0u;
  for (var k = wid.x; k < n; k += nwg.x) {
    var op = k;
    if (mode == 0u) {
      op = cand[k];
    }
    var m = 0.0;
    var bad = false;
    for (var c = lid; c < C; c += 64u) {
      let e = exact(op, c);
      ex[c] = e;
      bad = bad || non_finite(e);
      let d = abs(e - values[op * C + c]);
      if (above(d, m)) {
        m = d;
      }
    }
    if (bad) {
      atomicStore(&wg_nf, 1u);
    }
    red[lid] = m;
    workgroupBarrier();
    for (var s = 32u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        let o = red[lid + s];
        if (above(o, red[lid])) {
          red[lid] = o;
        }
      }
      workgroupBarrier();
    }
    if (mode == 1u || above(red[0], thr)) {
      for (var c = lid; c < C; c += 64u) {
        values[op * C + c] = ex[c];
      }
      if (lid == 0u && mode != 1u) {
        let i = atomicAdd(&counts[4], 1u);
        out_list[i] = op;
      }
    }
    if (lid == 0u) {
      units += work(op);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    if (mode != 1u) {
      atomicAdd(&counts[5], units);
    }
    if (atomicLoad(&wg_nf) != 0u) {
      atomicStore(&counts[7], 1u);
    }
  }
}
