/**
 * Mean over H,W of a rank-4 NHWC tensor (global average pooling; keepDims true or false).
 * Accumulate-style: state = per (n, c) sums of the input in float64; a step adds the changed pixels'
 * deltas into the sums and marks output pixel n; the exact value is sum / (H * W). Keyframes re-seed
 * the sums from the dense input, bounding float drift.
 */
import {Candidates, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput} from '../types';

interface MeanState {
  readonly sums: Float64Array;
  readonly plane: number;  // H * W
  readonly channels: number;
}

export const meanKernel: CpuDeltaKernel = {
  kernelName: 'Mean',
  seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
    const x = k.input('x')!;
    const [N, H, W, C] = x.info.shape;
    const keepDims = Boolean(k.attr<boolean>('keepDims'));
    const plane = H * W;
    const sums = new Float64Array(N * C);
    const v = x.values;
    for (let n = 0; n < N; n++) {
      const s0 = n * C;
      let i = n * plane * C;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < C; c++) sums[s0 + c] += v[i++];
      }
    }
    st.op = {sums, plane, channels: C} as MeanState;
    const out = new Float32Array(N * C);
    for (let i = 0; i < out.length; i++) out[i] = sums[i] / plane;
    return {values: out, shape: keepDims ? [N, 1, 1, C] : [N, C], macs: N * plane * C};
  },
  step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
    const s = st.op as MeanState;
    const u = k.input('x')!.update;
    if (!u) return 0;
    const {sums, plane, channels: C} = s;
    const d = u.delta;
    for (let j = 0; j < u.count; j++) {
      const n = Math.floor(u.pixels[j] / plane);
      cand.mark(n);
      const s0 = n * C, d0 = j * C;
      for (let c = 0; c < C; c++) sums[s0 + c] += d[d0 + c];
    }
    const E = cand.exact;
    for (let q = 0; q < cand.count; q++) {
      const o = cand.list[q] * C;
      for (let c = 0; c < C; c++) E[o + c] = sums[o + c] / plane;
    }
    return u.count * C;
  },
};
