// Conv2DBackpropInput (transposed conv) delta kernel (gather family; gather.wgsl is appended).
// Output pixel (b, y, x), channel d1: sum over taps (kh, kw) with (y + pad_t - kh) = oy * stride_h
// (oy in dy) and likewise for x, and over dy's channels d2: dy[b, oy, ox, d2] * W[kh, kw, d1, d2]
// (tfjs' conv2dTranspose has no dilation). in0 = dy, in1 = filter [fh, fw, x_c, dy_c].
// Params (words): 8 x_h, 9 x_w, 10 x_c, 11 dy_h, 12 dy_w, 13 dy_c, 14 stride_h, 15 stride_w,
// 16 f_h, 17 f_w, 18 pad_t (i32), 19 pad_l (i32).

fn tap_src(t: i32, stride: u32, n: u32) -> i32 {
  if (t < 0 || (u32(t) % stride) != 0u || u32(t) / stride >= n) {
    return -1;
  }
  return i32(u32(t) / stride);
}

fn exact(op: u32, c: u32) -> f32 {
  let plane = P(8) * P(9);
  let b = op / plane;
  let rem = op - b * plane;
  let y = i32(rem / P(9));
  let x = i32(rem % P(9));
  let xc = P(10);
  let dc = P(13);
  var acc = 0.0;
  for (var kh = 0u; kh < P(16); kh++) {
    let oy = tap_src(y + Pi(18) - i32(kh), P(14), P(11));
    if (oy < 0) {
      continue;
    }
    for (var kw = 0u; kw < P(17); kw++) {
      let ox = tap_src(x + Pi(19) - i32(kw), P(15), P(12));
      if (ox < 0) {
        continue;
      }
      let d0 = ((b * P(11) + u32(oy)) * P(12) + u32(ox)) * dc;
      let w0 = ((kh * P(17) + kw) * xc + c) * dc;
      for (var d2 = 0u; d2 < dc; d2++) {
        acc = acc + in0[d0 + d2] * in1[w0 + d2];
      }
    }
  }
  return acc;
}

fn work(op: u32) -> u32 {
  let plane = P(8) * P(9);
  let rem = op % plane;
  let y = i32(rem / P(9));
  let x = i32(rem % P(9));
  var th = 0u;
  var tw = 0u;
  for (var kh = 0u; kh < P(16); kh++) {
    th += select(0u, 1u, tap_src(y + Pi(18) - i32(kh), P(14), P(11)) >= 0);
  }
  for (var kw = 0u; kw < P(17); kw++) {
    tw += select(0u, 1u, tap_src(x + Pi(19) - i32(kw), P(15), P(12)) >= 0);
  }
  return th * tw;
}
