/** Shared parts of the resize delta kernels: geometry, source index maps, their inverses, the kernel builder. */
import {Candidates, CpuDeltaKernel, CpuKernelCall, CpuSlotStateLike, SeedOutput} from '../types';

export interface ResizeGeometry {
  readonly batch: number;
  readonly oldHeight: number;
  readonly oldWidth: number;
  readonly channels: number;
  readonly newHeight: number;
  readonly newWidth: number;
  readonly alignCorners: boolean;
  readonly halfPixelCenters: boolean;
  /** effectiveInputSize / effectiveOutputSize, per axis, exactly as tfjs-backend-cpu computes it. */
  readonly rowRatio: number;
  readonly colRatio: number;
}

export function resizeGeometry(k: CpuKernelCall): ResizeGeometry {
  const images = k.input('images')!;
  const [batch, oldHeight, oldWidth, channels] = images.info.shape;
  const [newHeight, newWidth] = k.attr<[number, number]>('size');
  const alignCorners = Boolean(k.attr<boolean>('alignCorners'));
  const halfPixelCenters = Boolean(k.attr<boolean>('halfPixelCenters'));
  const effIn = [(alignCorners && newHeight > 1) ? oldHeight - 1 : oldHeight,
    (alignCorners && newWidth > 1) ? oldWidth - 1 : oldWidth];
  const effOut = [(alignCorners && newHeight > 1) ? newHeight - 1 : newHeight,
    (alignCorners && newWidth > 1) ? newWidth - 1 : newWidth];
  return {
    batch, oldHeight, oldWidth, channels, newHeight, newWidth, alignCorners, halfPixelCenters,
    rowRatio: effIn[0] / effOut[0], colRatio: effIn[1] / effOut[1],
  };
}

/**
 * Inverts "output index o reads input indices src_k[o]" into, per input index i, the range
 * [lo[i], hi[i]] of output indices that read it (lo > hi: none). The source maps are monotone in o,
 * so the outputs reading one input index are contiguous.
 */
export function invertSources(inSize: number, outSize: number, ...sources: Int32Array[]): {lo: Int32Array; hi: Int32Array} {
  const lo = new Int32Array(inSize).fill(outSize);
  const hi = new Int32Array(inSize).fill(-1);
  for (const src of sources) {
    for (let o = 0; o < outSize; o++) {
      const i = src[o];
      if (i < 0 || i >= inSize) continue;
      if (o < lo[i]) lo[i] = o;
      if (o > hi[i]) hi[i] = o;
    }
  }
  return {lo, hi};
}

/**
 * Marks every output pixel whose row range / column range covers a changed input pixel.
 * Input pixel p = (b * oldHeight + y) * oldWidth + x; output pixel = (b * newHeight + r) * newWidth + c.
 */
export function markResized(g: ResizeGeometry, pixels: Int32Array, count: number,
                            rowLo: Int32Array, rowHi: Int32Array, colLo: Int32Array, colHi: Int32Array,
                            cand: Candidates): void {
  const inPlane = g.oldHeight * g.oldWidth;
  for (let j = 0; j < count; j++) {
    const p = pixels[j];
    const b = Math.floor(p / inPlane);
    const rem = p - b * inPlane;
    const y = Math.floor(rem / g.oldWidth);
    const x = rem - y * g.oldWidth;
    const r1 = rowHi[y], c0 = colLo[x], c1 = colHi[x];
    for (let r = rowLo[y]; r <= r1; r++) {
      const row = (b * g.newHeight + r) * g.newWidth;
      for (let c = c0; c <= c1; c++) cand.mark(row + c);
    }
  }
}

/** What a resize kernel precomputes at seed: its sources and the inverse ranges used to mark. */
export interface ResizeState {
  readonly g: ResizeGeometry;
  readonly rowLo: Int32Array;
  readonly rowHi: Int32Array;
  readonly colLo: Int32Array;
  readonly colHi: Int32Array;
}

/**
 * A resize delta kernel from its per-kernel parts: the state built at seed and the computation of
 * one output pixel (all channels) from the dense input. Seed evaluates every output pixel; a step
 * marks the outputs with a changed source and re-evaluates only those.
 */
export function resizeKernel<S extends ResizeState>(
    kernelName: string, taps: number, makeState: (g: ResizeGeometry) => S,
    pixel: (s: S, x: Float32Array, op: number, out: Float32Array, o0: number) => void): CpuDeltaKernel {
  return {
    kernelName,
    seed(k: CpuKernelCall, st: CpuSlotStateLike): SeedOutput {
      const s = makeState(resizeGeometry(k));
      st.op = s;
      const g = s.g;
      const C = g.channels;
      const pixels = g.batch * g.newHeight * g.newWidth;
      const out = new Float32Array(pixels * C);
      const x = k.input('images')!.values;
      for (let p = 0; p < pixels; p++) pixel(s, x, p, out, p * C);
      return {values: out, shape: [g.batch, g.newHeight, g.newWidth, C], macs: pixels * C * taps};
    },
    step(k: CpuKernelCall, st: CpuSlotStateLike, cand: Candidates): number {
      const s = st.op as S;
      const input = k.input('images')!;
      const u = input.update;
      if (!u) return 0;
      markResized(s.g, u.pixels, u.count, s.rowLo, s.rowHi, s.colLo, s.colHi, cand);
      const C = cand.channels;
      for (let q = 0; q < cand.count; q++) {
        const op = cand.list[q];
        pixel(s, input.values, op, cand.exact, op * C);
      }
      return cand.count * C * taps;
    },
  };
}
