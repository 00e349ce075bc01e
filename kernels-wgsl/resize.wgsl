// ResizeBilinear / ResizeNearestNeighbor delta kernels (gather family; gather.wgsl is appended), with
// tfjs-backend-cpu's source indices and weights, precomputed on the host (src/webgpu/kernels/resize.ts)
// into in1: bilinear [rowFloor, rowCeil, rowFrac](new_h) then [colFloor, colCeil, colFrac](new_w);
// nearest [srcRow](new_h) then [srcCol](new_w) (indices stored as f32, exact below 2^24).
// Params (words): 8 old_h, 9 old_w, 10 new_h, 11 new_w, 12 bilinear (1) / nearest (0). in0 = images.

fn exact(op: u32, c: u32) -> f32 {
  let C = P(1);
  let oh = P(8);
  let ow = P(9);
  let nh = P(10);
  let nw = P(11);
  let plane = nh * nw;
  let b = op / plane;
  let rem = op - b * plane;
  let r = rem / nw;
  let q = rem - r * nw;
  if (P(12) == 0u) {
    let sr = u32(in1[r]);
    let sc = u32(in1[nh + q]);
    return in0[((b * oh + sr) * ow + sc) * C + c];
  }
  let top = (b * oh + u32(in1[r])) * ow;
  let bot = (b * oh + u32(in1[nh + r])) * ow;
  let row_frac = in1[2u * nh + r];
  let cb = 3u * nh;
  let cf = u32(in1[cb + q]);
  let cc = u32(in1[cb + nw + q]);
  let col_frac = in1[cb + 2u * nw + q];
  let tl = in0[(top + cf) * C + c];
  let tr = in0[(top + cc) * C + c];
  let bl = in0[(bot + cf) * C + c];
  let br = in0[(bot + cc) * C + c];
  let t = tl + (tr - tl) * col_frac;
  let bt = bl + (br - bl) * col_frac;
  return t + (bt - t) * row_frac;
}

fn work(op: u32) -> u32 {
  return 1u;
}
