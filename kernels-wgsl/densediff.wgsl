// The diff pass of a dense-computed delta step (src/webgpu/plane.ts, cost model on the host): when most
// output pixels of a conv were touched on the slot's last known step, the plane records tfjs-webgpu's own
// dense conv over the whole output and then this ONE pass (no mark: every pixel is compared): per
// output pixel, max over channels |dense - propagated| > thr (or NaN) -> copy the pixel's channels
// into the propagated values (in place) and append the pixel to the output update's list
// (counts[4] = OUT), exactly what the sparse compute pass does for its candidates.
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
  in_mask: u32,     // bit i: input i may change; none of them changed (IN(i) == 0): nothing to do
}

@group(0) @binding(0) var<uniform> dp: DiffParams;
@group(0) @binding(1) var<storage, read> dense: array<f32>;
@group(0) @binding(2) var<storage, read_write> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_list: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // the device gate that costs nothing: a step whose inputs' change counts (sparsify's, or the
  // producers' copied by `begin`) are all 0 keeps its values (the host decided dense from last frame)
  var changed = false;
  for (var i = 0u; i < 6u; i++) {
    if (((dp.in_mask >> i) & 1u) != 0u && atomicLoad(&counts[8u + 4u * i]) != 0u) {
      changed = true;
    }
  }
  if (!changed) {
    return;
  }
  if (gid.x == 0u) {
    atomicStore(&counts[1], 1u);  // the dense compute ran (MACs, denseSteps)
  }
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
