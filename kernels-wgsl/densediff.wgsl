// The diff pass of a dense-computed delta step (src/webgpu/plane.ts, cost model): when most output
// pixels of a conv are touched, the plane runs tfjs-webgpu's own dense conv over the whole output and
// then this ONE pass: per output pixel, max over channels |dense - propagated| > thr (or NaN) ->
// copy the pixel's channels into the propagated values (in place) and append the pixel to the output
// update's list (counts[4] = OUT), exactly what the sparse compute pass does for its candidates.
// Pixels under the threshold keep their propagated values (the residual is kept, no drift).

// a > b, or a is NaN, by the bits (a compiler may assume finite floats: !(a <= b) is not NaN-safe)
fn above(a: f32, b: f32) -> bool {
  let bits = bitcast<u32>(a);
  return ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u) || a > b;
}

struct DiffParams {
  pixels: u32,
  channels: u32,
  thr: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> dp: DiffParams;
@group(0) @binding(1) var<storage, read> dense: array<f32>;
@group(0) @binding(2) var<storage, read_write> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_list: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 64u;
  for (var p = gid.x; p < dp.pixels; p += stride) {
    let base = p * dp.channels;
    var m = 0.0;
    for (var c = 0u; c < dp.channels; c++) {
      let d = abs(dense[base + c] - values[base + c]);
      if (above(d, m)) {
        m = d;
      }
    }
    if (above(m, dp.thr)) {
      var bad = false;
      for (var c = 0u; c < dp.channels; c++) {
        let v = dense[base + c];
        bad = bad || (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
        values[base + c] = v;
      }
      if (bad) {
        atomicStore(&counts[7], 1u);  // NaN/Inf: the engine re-seeds the slot
      }
      let i = atomicAdd(&counts[4], 1u);
      out_list[i] = p;
    }
  }
}

// ---- gate: the cost model, decided on the device ------------------------------------------------
// A conv step records both computes (plane.ts): the sparse one, indirect on the args buffer, and
// tfjs-webgpu's dense kernel + the diff pass, indirect on gate_args (plane.ts wraps tfjs' pass encoder).
// This step's candidate count is only on the device, so the choice is made here, with no lag:
// dense when candidates > min_dense (the crossover share of the output pixels), else sparse; a step
// without candidates runs neither. gate_args[k] = the dense kernel's dispatch k (gate_dims, written by
// the host) or 0 workgroups; the last entry is the diff pass's. counts[1] = 1 records a dense step
// (for the MAC count read back with the counters).

struct GateParams {
  n: u32,            // dispatch entries in gate_dims (the last one is the diff pass)
  min_dense: u32,    // candidates above which the step runs dense
  both: u32,         // 1: the sparse compute is recorded too (its args are written here)
  cap: u32,          // max workgroups of the sparse compute dispatch
}

@group(0) @binding(10) var<uniform> gp: GateParams;
@group(0) @binding(11) var<storage, read_write> gate_counts: array<u32>;
@group(0) @binding(12) var<storage, read> gate_dims: array<u32>;
@group(0) @binding(13) var<storage, read_write> gate_args: array<u32>;
@group(0) @binding(14) var<storage, read_write> sparse_args: array<u32>;

@compute @workgroup_size(1)
fn gate() {
  let cand = gate_counts[0];
  let dense = cand > 0u && cand > gp.min_dense;
  for (var i = 0u; i < gp.n * 3u; i++) {
    gate_args[i] = select(0u, gate_dims[i], dense);
  }
  gate_counts[1] = select(0u, 1u, dense);
  if (gp.both == 1u) {
    // one workgroup per candidate (conv.wgsl), grid-stride above cap
    sparse_args[1] = select(min(cand, gp.cap), 0u, dense);
    sparse_args[2] = 1u;
    sparse_args[3] = 1u;
  }
}
