// Mark pass of the gather delta kernels (src/webgpu/gather.ts): each changed input pixel (b, y, x)
// of an input viewed as [B, H, W] (pixel dims; channels innermost) makes candidates of every output
// pixel in the box [bLo..bHi] x [rLo..rHi] x [cLo..cHi] of the output viewed as [Bo, Ho, Wo]. The
// ranges come from a per-input table built on the host at seed (the map is separable for every
// kernel here: pools, resizes, pads, concats, means, transposed convs). Deduplicated by generation
// stamps, compacted with an atomic counter, like pointwise.wgsl / conv.wgsl `mark`.

struct RangeParams {
  count_idx: u32,   // meta index of the input's changed-pixel count
  in_b: u32, in_h: u32, in_w: u32,
  out_b: u32, out_h: u32, out_w: u32,
  _pad: u32,
}

@group(0) @binding(10) var<uniform> rp: RangeParams;
@group(0) @binding(11) var<storage, read> in_list: array<u32>;
@group(0) @binding(12) var<storage, read_write> stamp: array<atomic<u32>>;
@group(0) @binding(13) var<storage, read_write> mark_cand: array<u32>;
@group(0) @binding(14) var<storage, read_write> mark_counts: array<atomic<u32>>;
// [bLo(in_b), bHi(in_b), rLo(in_h), rHi(in_h), cLo(in_w), cHi(in_w)]; lo > hi: no output reads it
@group(0) @binding(15) var<storage, read> table: array<i32>;

@compute @workgroup_size(64)
fn mark(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let gen = atomicLoad(&mark_counts[6]);
  let n = atomicLoad(&mark_counts[rp.count_idx]);
  let stride = nwg.x * 64u;
  let plane = rp.in_h * rp.in_w;
  let tb = 0u;
  let tr = 2u * rp.in_b;
  let tc = tr + 2u * rp.in_h;
  for (var k = gid.x; k < n; k += stride) {
    let p = in_list[k];
    let b = p / plane;
    let rem = p - b * plane;
    let y = rem / rp.in_w;
    let x = rem - y * rp.in_w;
    let b0 = table[tb + b];
    let b1 = table[tb + rp.in_b + b];
    let r0 = table[tr + y];
    let r1 = table[tr + rp.in_h + y];
    let c0 = table[tc + x];
    let c1 = table[tc + rp.in_w + x];
    for (var ob = b0; ob <= b1; ob++) {
      for (var r = r0; r <= r1; r++) {
        let row = (u32(ob) * rp.out_h + u32(r)) * rp.out_w;
        for (var c = c0; c <= c1; c++) {
          let o = row + u32(c);
          if (atomicExchange(&stamp[o], gen) != gen) {
            let i = atomicAdd(&mark_counts[0], 1u);
            mark_cand[i] = o;
          }
        }
      }
    }
  }
}
