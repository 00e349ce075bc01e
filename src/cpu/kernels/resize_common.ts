/** Shared helpers of the resize delta kernels: source index maps and their inverses. */
import {Candidates, CpuKernelCall} from '../types';

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
