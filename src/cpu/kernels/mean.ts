/**
 * Mean over H,W of a rank-4 NHWC tensor (global average pooling; keepDims true or false).
 * tfjs-backend-cpu computes it as float32(x / (H*W)) per element, then a float64 sum per (n, c)
 * rounded to float32. The slot keeps those float32 terms and their float64 sums; a step replaces the
 * terms of changed pixels in the sums (sums of float32 values in float64 are exact in practice, so
 * the result does not depend on the order and matches cpu without drift). Work ∝ changed pixels.
 */
import {Candidates, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput} from '../types';

interface MeanState {
  readonly terms: Float32Array;  // float32(x / plane), like the input
  readonly sums: Float64Array;   // per (n, c)
  readonly plane: number;        // H * W
  readonly channels: number;
}

export const meanKernel: CpuDeltaKernel = {
  kernelName: 'Mean',
  seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
    const x = k.input('x')!;
    const [N, H, W, C] = x.info.shape;
    const keepDims = Boolean(k.attr<boolean>('keepDims'));
    const plane = H * W;
    const terms = new Float32Array(x.values.length);
    const sums = new Float64Array(N * C);
    for (let i = 0; i < terms.length; i++) terms[i] = x.values[i] / plane;
    for (let n = 0; n < N; n++) {
      const s0 = n * C;
      let i = n * plane * C;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < C; c++) sums[s0 + c] += terms[i++];
      }
    }
    st.op = {terms, sums, plane, channels: C} as MeanState;
    return {values: Float32Array.from(sums), shape: keepDims ? [N, 1, 1, C] : [N, C], macs: N * plane * C};
  },
  step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
    const {terms, sums, plane, channels: C} = st.op as MeanState;
    const x = k.input('x')!;
    const u = x.update;
    if (!u) return 0;
    const v = x.values;
    for (let j = 0; j < u.count; j++) {
      const p = u.pixels[j];
      const n = Math.floor(p / plane);
      cand.mark(n);
      const s0 = n * C, i0 = p * C;
      for (let c = 0; c < C; c++) {
        const t = Math.fround(v[i0 + c] / plane);
        sums[s0 + c] += t - terms[i0 + c];
        terms[i0 + c] = t;
      }
    }
    const E = cand.exact;
    for (let q = 0; q < cand.count; q++) {
      const o = cand.list[q] * C;
      for (let c = 0; c < C; c++) E[o + c] = sums[o + c];
    }
    return u.count * C;
  },
};
