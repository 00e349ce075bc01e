// MaxPool / AvgPool delta kernels (gather family; gather.wgsl is appended). Output pixel (b, oy, ox)
// reads the in-bounds part of its window, as tfjs-backend-cpu's pool(): max ignores padded taps
// (NaN never wins a comparison), avg divides by the number of in-bounds taps.
// Params (words): 8 in_h, 9 in_w, 10 out_h, 11 out_w, 12 stride_h, 13 stride_w, 14 pad_t (i32),
// 15 pad_l (i32), 16 filter_h, 17 filter_w, 18 type (0 max, 1 avg). Input: in0 = x.

struct Window {
  b: u32, r0: u32, r1: u32, c0: u32, c1: u32,
}

fn window(op: u32) -> Window {
  let plane = P(10) * P(11);
  let b = op / plane;
  let rem = op - b * plane;
  let oy = rem / P(11);
  let ox = rem - oy * P(11);
  let rc = i32(oy * P(12)) - Pi(14);
  let cc = i32(ox * P(13)) - Pi(15);
  let r0 = u32(max(rc, 0));
  let r1 = u32(clamp(rc + i32(P(16)), 0, i32(P(8))));
  let c0 = u32(max(cc, 0));
  let c1 = u32(clamp(cc + i32(P(17)), 0, i32(P(9))));
  return Window(b, r0, r1, c0, c1);
}

fn exact(op: u32, c: u32) -> f32 {
  let w = window(op);
  let C = P(1);
  let avg = P(18) == 1u;
  var acc = select(Pf(4), 0.0, avg);  // header word 4 = -Infinity (not a WGSL constant)
  for (var r = w.r0; r < w.r1; r++) {
    let row = (w.b * P(8) + r) * P(9);
    for (var x = w.c0; x < w.c1; x++) {
      let v = in0[(row + x) * C + c];
      if (avg) {
        acc = acc + v;
      } else if (v > acc) {
        acc = v;
      }
    }
  }
  if (avg) {
    acc = acc / f32((w.r1 - min(w.r0, w.r1)) * (w.c1 - min(w.c0, w.c1)));
  }
  return acc;
}

fn work(op: u32) -> u32 {
  let w = window(op);
  return (w.r1 - min(w.r0, w.r1)) * (w.c1 - min(w.c0, w.c1));
}
