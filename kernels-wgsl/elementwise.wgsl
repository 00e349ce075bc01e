// Prelu, AddN and FusedBatchNorm delta kernels (gather family; gather.wgsl is appended): one output
// pixel per input pixel, recomputed from the dense inputs with tfjs-backend-cpu's formulas.
// Params (words): 8 op (0 prelu, 1 addn, 2 batch norm), 9 addn inputs (<= 4), 10 unused,
// 11 epsilon (f32), 12..15 lengths of mean, variance, offset, scale packed in in1 (0: absent),
// 16..19 prelu: alpha's strides over x's [B, H, W, C] (0 on broadcast dims), 20 H, 21 W of x's view.
// in0 = x (addn: in0..in3), in1 = alpha (prelu) or the packed batch-norm constants.

fn exact(op: u32, c: u32) -> f32 {
  let i = op * P(1) + c;
  switch (P(8)) {
    case 0u: {
      let x = in0[i];
      let hw = P(20) * P(21);
      let b = op / hw;
      let y = (op - b * hw) / P(21);
      let w = op % P(21);
      let a = in1[b * P(16) + y * P(17) + w * P(18) + c * P(19)];
      return select(x, x * a, x < 0.0);
    }
    case 1u: {
      var s = in0[i];
      if (P(9) > 1u) {
        s = s + in1[i];
      }
      if (P(9) > 2u) {
        s = s + in2[i];
      }
      if (P(9) > 3u) {
        s = s + in3[i];
      }
      return s;
    }
    default: {
      let lm = P(12);
      let lv = P(13);
      let lo = P(14);
      let ls = P(15);
      let mean = in1[i % lm];
      let variance = in1[lm + i % lv];
      var offset = 0.0;
      if (lo > 0u) {
        offset = in1[lm + lv + i % lo];
      }
      var scale = 1.0;
      if (ls > 0u) {
        scale = in1[lm + lv + lo + i % ls];
      }
      return offset + (in0[i] - mean) * scale / sqrt(variance + Pf(11));
    }
  }
}

fn work(op: u32) -> u32 {
  return 1u;
}
