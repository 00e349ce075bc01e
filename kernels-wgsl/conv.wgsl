// Conv-family delta kernels: Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D
// (NHWC, any filter size, stride, dilation, padding; bias + activation fused). Output-stationary,
// like delta-cpu: the mark pass turns each changed input pixel into the output pixels whose
// receptive field contains it (deduplicated by generation stamps, compacted with an atomic
// counter); the compute pass (indirect: one workgroup per candidate, grid-stride) recomputes those
// pixels from the dense input, with cpu's order of operations (filter row, column, input channel),
// then fuses bias, activation, truncation (max over channels |new - propagated| > thr), the
// in-place value update and the append to the output update. No accumulator, no drift.
// activation.wgsl is prepended.

struct ConvParams {
  in_h: u32, in_w: u32, in_c: u32, batch: u32,
  out_h: u32, out_w: u32, out_c: u32, pixels: u32,
  stride_h: u32, stride_w: u32, dil_h: u32, dil_w: u32,
  f_h: u32, f_w: u32, pad_t: i32, pad_l: i32,
  depthwise: u32, mult: u32, act: u32, has_bias: u32,
  dense: u32, count_idx: u32, thr: f32, alpha: f32,
}

// ---- mark ------------------------------------------------------------------------------------

@group(0) @binding(10) var<uniform> mk: ConvParams;
@group(0) @binding(11) var<storage, read> in_list: array<u32>;
@group(0) @binding(12) var<storage, read_write> stamp: array<atomic<u32>>;
@group(0) @binding(13) var<storage, read_write> mark_cand: array<u32>;
@group(0) @binding(14) var<storage, read_write> mark_counts: array<atomic<u32>>;

@compute @workgroup_size(64)
fn mark(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let gen = atomicLoad(&mark_counts[6]);
  let n = atomicLoad(&mark_counts[mk.count_idx]);
  let stride = nwg.x * 64u;
  let plane = mk.in_h * mk.in_w;
  for (var k = gid.x; k < n; k += stride) {
    let p = in_list[k];
    let b = p / plane;
    let r = p - b * plane;
    let y = i32(r / mk.in_w);
    let x = i32(r % mk.in_w);
    for (var kh = 0u; kh < mk.f_h; kh++) {
      let ty = y + mk.pad_t - i32(kh * mk.dil_h);
      if (ty >= 0 && (u32(ty) % mk.stride_h) == 0u && u32(ty) / mk.stride_h < mk.out_h) {
        let row = (b * mk.out_h + u32(ty) / mk.stride_h) * mk.out_w;
        for (var kw = 0u; kw < mk.f_w; kw++) {
          let tx = x + mk.pad_l - i32(kw * mk.dil_w);
          if (tx >= 0 && (u32(tx) % mk.stride_w) == 0u && u32(tx) / mk.stride_w < mk.out_w) {
            let o = row + u32(tx) / mk.stride_w;
            if (atomicExchange(&stamp[o], gen) != gen) {
              let c = atomicAdd(&mark_counts[0], 1u);
              mark_cand[c] = o;
            }
          }
        }
      }
    }
  }
}

// ---- compute ---------------------------------------------------------------------------------

override MAX_C: u32 = 1024u;

@group(0) @binding(0) var<uniform> cp: ConvParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> values: array<f32>;
@group(0) @binding(5) var<storage, read> cand: array<u32>;
@group(0) @binding(6) var<storage, read_write> out_list: array<u32>;
@group(0) @binding(7) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read> prelu_w: array<f32>;

var<workgroup> ex: array<f32, MAX_C>;
var<workgroup> red: array<f32, 64>;
var<workgroup> wg_n: u32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) {
    wg_n = select(atomicLoad(&counts[0]), cp.pixels, cp.dense == 1u);
  }
  let n = workgroupUniformLoad(&wg_n);
  let plane = cp.out_h * cp.out_w;
  var taps = 0u;
  for (var k = wid.x; k < n; k += nwg.x) {
    var op = k;
    if (cp.dense == 0u) {
      op = cand[k];
    }
    let b = op / plane;
    let r = op - b * plane;
    let oy = r / cp.out_w;
    let ox = r - oy * cp.out_w;
    let y0 = i32(oy * cp.stride_h) - cp.pad_t;
    let x0 = i32(ox * cp.stride_w) - cp.pad_l;
    var m = 0.0;
    for (var co = lid; co < cp.out_c; co += 64u) {
      var acc = 0.0;
      for (var kh = 0u; kh < cp.f_h; kh++) {
        let iy = y0 + i32(kh * cp.dil_h);
        if (iy >= 0 && iy < i32(cp.in_h)) {
          for (var kw = 0u; kw < cp.f_w; kw++) {
            let ix = x0 + i32(kw * cp.dil_w);
            if (ix >= 0 && ix < i32(cp.in_w)) {
              let xb = ((b * cp.in_h + u32(iy)) * cp.in_w + u32(ix)) * cp.in_c;
              let tap = kh * cp.f_w + kw;
              if (cp.depthwise == 1u) {
                acc = acc + x[xb + co / cp.mult] * w[tap * cp.out_c + co];
              } else {
                var wi = tap * cp.in_c * cp.out_c + co;
                for (var ci = 0u; ci < cp.in_c; ci++) {
                  acc = acc + x[xb + ci] * w[wi];
                  wi += cp.out_c;
                }
              }
            }
          }
        }
      }
      if (cp.has_bias == 1u) {
        acc = acc + bias[co];
      } else if (cp.has_bias == 2u) {
        acc = acc + bias[0];  // a bias of one value
      }
      if (cp.act == 7u) {
        acc = select(acc, acc * prelu_w[co], acc < 0.0);  // fused prelu: per output channel weights
      } else if (cp.act == 8u) {
        acc = select(acc, acc * prelu_w[0], acc < 0.0);   // fused prelu, one weight
      } else {
        acc = activate(acc, cp.act, cp.alpha);
      }
      if (non_finite(acc)) {
        atomicStore(&counts[7], 1u);  // the engine re-seeds the slot (PlaneResult.nonFinite)
      }
      ex[co] = acc;
      let d = abs(acc - values[op * cp.out_c + co]);
      if (above(d, m)) {
        m = d;
      }
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
    if (cp.dense == 1u || above(red[0], cp.thr)) {
      for (var co = lid; co < cp.out_c; co += 64u) {
        values[op * cp.out_c + co] = ex[co];
      }
      if (lid == 0u && cp.dense == 0u) {
        let i = atomicAdd(&counts[4], 1u);
        out_list[i] = op;
      }
    }
    if (lid == 0u) {
      var th = 0u;
      var tw = 0u;
      for (var kh = 0u; kh < cp.f_h; kh++) {
        let iy = y0 + i32(kh * cp.dil_h);
        th += select(0u, 1u, iy >= 0 && iy < i32(cp.in_h));
      }
      for (var kw = 0u; kw < cp.f_w; kw++) {
        let ix = x0 + i32(kw * cp.dil_w);
        tw += select(0u, 1u, ix >= 0 && ix < i32(cp.in_w));
      }
      taps += th * tw;
    }
    workgroupBarrier();
  }
  if (lid == 0u && cp.dense == 0u) {
    atomicAdd(&counts[5], taps);
  }
}
