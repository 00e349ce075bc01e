// PadV2 delta kernel (gather family; gather.wgsl is appended), rank <= 4: pixel dims viewed as
// [B, H, W] (leading 1s), channels last. Pixels and channels outside the input hold the constant
// (they never become candidates: only input pixels mark output pixels).
// Params (words): 8 in_b, 9 in_h, 10 in_w, 11 in_c, 12 before_b, 13 before_h, 14 before_w,
// 15 before_c, 16 constant (f32), 17 out_h, 18 out_w. in0 = x.

fn exact(op: u32, c: u32) -> f32 {
  let oh = P(17);
  let ow = P(18);
  let b = op / (oh * ow);
  let rem = op - b * oh * ow;
  let y = rem / ow;
  let x = rem - y * ow;
  let ib = i32(b) - i32(P(12));
  let iy = i32(y) - i32(P(13));
  let ix = i32(x) - i32(P(14));
  let ic = i32(c) - i32(P(15));
  if (ib < 0 || ib >= i32(P(8)) || iy < 0 || iy >= i32(P(9)) || ix < 0 || ix >= i32(P(10)) ||
      ic < 0 || ic >= i32(P(11))) {
    return Pf(16);
  }
  return in0[((u32(ib) * P(9) + u32(iy)) * P(10) + u32(ix)) * P(11) + u32(ic)];
}

fn work(op: u32) -> u32 {
  return 1u;
}
