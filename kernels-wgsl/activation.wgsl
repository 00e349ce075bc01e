// Activation functions (no bindings): prepended to pointwise.wgsl and conv.wgsl by src/webgpu.
// Same expressions as tfjs-backend-cpu (src/cpu/kernels/activations.ts), in float32.
// Codes: 0 linear, 1 relu, 2 relu6, 3 leakyrelu (alpha), 4 elu, 5 sigmoid, 6 tanh.

// a > b, or a is NaN, by the bits (a compiler may assume finite floats: !(a <= b) is not NaN-safe)
fn above(a: f32, b: f32) -> bool {
  let bits = bitcast<u32>(a);
  return ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u) || a > b;
}

// NaN or +-Inf, by the bits (a compiler may assume finite floats in comparisons).
fn non_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

fn is_nan(v: f32) -> bool {
  let b = bitcast<u32>(v);
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u;
}

fn activate(x: f32, code: u32, alpha: f32) -> f32 {
  switch (code) {
    // relu / relu6 propagate NaN, as tfjs (WGSL's max/clamp may drop it)
    case 1u: { return select(max(x, 0.0), x, is_nan(x)); }
    case 2u: { return select(clamp(x, 0.0, 6.0), x, is_nan(x)); }
    case 3u: { return select(x, alpha * x, x < 0.0); }
    case 4u: { return select(exp(x) - 1.0, x, x >= 0.0); }
    case 5u: { return 1.0 / (1.0 + exp(-x)); }
    case 6u: {
      // tanh without overflow for large |x| (WGSL's tanh may return NaN there on some drivers)
      let e = exp(-2.0 * abs(x));
      return select(sign(x) * (1.0 - e) / (1.0 + e), x, is_nan(x));
    }
    default: { return x; }
  }
}
