// Input sparsification (DESIGN §3): a pixel of a tensor that no delta kernel made is active when
// max over its channels of |x - baseline| exceeds the threshold; active pixels are copied into the
// baseline (inactive ones keep their residual) and appended to a compact list with an atomic
// counter (counts[count_idx]). One invocation per pixel, channels innermost (NHWC).

// a > b, or a is NaN, by the bits (a compiler may assume finite floats: !(a <= b) is not NaN-safe)
fn above(a: f32, b: f32) -> bool {
  let bits = bitcast<u32>(a);
  return ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u) || a > b;
}

struct SparsifyParams {
  pixels: u32,
  channels: u32,
  thr: f32,
  count_idx: u32,
}

@group(0) @binding(0) var<uniform> sp: SparsifyParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> base: array<f32>;
@group(0) @binding(3) var<storage, read_write> list: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn sparsify(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = gid.x + gid.y * nwg.x * 64u;
  if (p >= sp.pixels) {
    return;
  }
  let o = p * sp.channels;
  var m = 0.0;
  for (var c = 0u; c < sp.channels; c++) {
    let d = abs(x[o + c] - base[o + c]);
    if (above(d, m)) {
      m = d;  // NaN propagates: a NaN input is always active
    }
  }
  if (above(m, sp.thr)) {
    var bad = false;
    for (var c = 0u; c < sp.channels; c++) {
      let v = x[o + c];
      bad = bad || (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
      base[o + c] = v;
    }
    if (bad) {
      atomicStore(&counts[7], 1u);  // a NaN/Inf input: the engine re-seeds the slot
    }
    let i = atomicAdd(&counts[sp.count_idx], 1u);
    list[i] = p;
  }
}
