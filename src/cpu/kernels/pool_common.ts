/**
 * Shared machinery of the MaxPool / AvgPool delta kernels (NHWC, any filter size, stride, padding,
 * rounding mode; geometry from poolInfo()). Recompute-style: a step marks the output pixels whose
 * window contains a changed input pixel (range computed directly from the input coordinate) and
 * recomputes them from the dense input exactly as tfjs-backend-cpu's pool() does: max ignores padded
 * taps, avg divides by the number of in-bounds taps. Cost: proportional to changed pixels x window.
 */
import {backend_util} from '@tensorflow/tfjs-core';
import {poolInfo} from '../../core/op_table';
import {Candidates, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput} from '../types';
import {windowCorner} from './conv_common';

export type PoolType = 'max' | 'avg';

interface PoolState {
  readonly info: backend_util.Conv2DInfo;
  /** Per-channel scratch accumulator (double, as tfjs' JS loop). */
  readonly scratch: Float64Array;
}

/**
 * Computes output pixel op (all channels) into out[o0 ...] from the dense input x, with the same
 * window bounds and the same order of operations per channel as tfjs' pool(). Returns taps x C read.
 */
function poolPixel(info: backend_util.Conv2DInfo, type: PoolType, x: Float32Array, op: number,
                   out: Float32Array, o0: number, acc: Float64Array): number {
  const {inHeight, inWidth, inChannels: C, effectiveFilterHeight, effectiveFilterWidth} = info;
  const [b, rCorner, cCorner] = windowCorner(info, op);
  const rMin = Math.max(0, rCorner), rMax = Math.min(inHeight, effectiveFilterHeight + rCorner);
  const cMin = Math.max(0, cCorner), cMax = Math.min(inWidth, effectiveFilterWidth + cCorner);
  acc.fill(type === 'max' ? Number.NEGATIVE_INFINITY : 0);
  let taps = 0;
  for (let xr = rMin; xr < rMax; xr++) {
    const rowOff = (b * inHeight + xr) * inWidth;
    for (let xc = cMin; xc < cMax; xc++) {
      const i0 = (rowOff + xc) * C;
      if (type === 'max') {
        for (let d = 0; d < C; d++) {
          const v = x[i0 + d];
          if (v > acc[d]) acc[d] = v;
        }
      } else {
        for (let d = 0; d < C; d++) acc[d] += x[i0 + d];
      }
      taps++;
    }
  }
  if (type === 'max') {
    for (let d = 0; d < C; d++) out[o0 + d] = acc[d];
  } else {
    for (let d = 0; d < C; d++) out[o0 + d] = acc[d] / taps;  // 0 taps: 0 / 0 = NaN, as tfjs
  }
  return taps * C;
}

export function makePoolKernel(kernelName: string, type: PoolType): CpuDeltaKernel {
  return {
    kernelName,
    seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
      const info = poolInfo(k.call);
      const state: PoolState = {info, scratch: new Float64Array(info.inChannels)};
      st.op = state;
      const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
      const C = info.outChannels;
      const pixels = info.batchSize * info.outHeight * info.outWidth;
      const out = new Float32Array(pixels * C);
      const x = k.input('x')!.values;
      let macs = 0;
      for (let p = 0; p < pixels; p++) macs += poolPixel(info, type, x, p, out, p * C, state.scratch);
      return {values: out, shape, macs};
    },
    step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
      const {info, scratch} = st.op as PoolState;
      const input = k.input('x')!;
      const u = input.update;
      if (!u) return 0;
      const {inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth,
        effectiveFilterHeight: fh, effectiveFilterWidth: fw} = info;
      const padTop = info.padInfo.top, padLeft = info.padInfo.left;
      const inPlane = inHeight * inWidth;
      // Output oy reads input rows [oy*sH - padTop, oy*sH - padTop + fh): oy in [lo, hi] below.
      for (let j = 0; j < u.count; j++) {
        const p = u.pixels[j];
        const b = Math.floor(p / inPlane);
        const r = p - b * inPlane;
        const iy = Math.floor(r / inWidth);
        const ix = r - iy * inWidth;
        const oyLo = Math.max(0, Math.floor((iy + padTop - fh) / strideHeight) + 1);
        const oyHi = Math.min(outHeight - 1, Math.floor((iy + padTop) / strideHeight));
        const oxLo = Math.max(0, Math.floor((ix + padLeft - fw) / strideWidth) + 1);
        const oxHi = Math.min(outWidth - 1, Math.floor((ix + padLeft) / strideWidth));
        for (let oy = oyLo; oy <= oyHi; oy++) {
          const row = (b * outHeight + oy) * outWidth;
          for (let ox = oxLo; ox <= oxHi; ox++) cand.mark(row + ox);
        }
      }
      const C = cand.channels;
      const x = input.values;
      const E = cand.exact;
      let macs = 0;
      for (let q = 0; q < cand.count; q++) {
        const op = cand.list[q];
        macs += poolPixel(info, type, x, op, E, op * C, scratch);
      }
      return macs;
    },
  };
}
